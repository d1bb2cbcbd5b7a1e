import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AssetConfig, type BaseAssetManager, createAssetManager, mintApiToken } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type StartedServer, startAssetServer } from '../src/index.js'
import { rawCall } from './fixtures/raw-http.js'

// The server's side of the web catalogue: its build at `/`, client routes answered with the
// page, and the download cookie. A stand-in build (index.html, one hashed asset) is enough here;
// @assets/web's own tests drive the real pages in a browser.
const INDEX = '<!doctype html><html><head><title>Asset catalogue</title></head><body><div id="root"></div></body></html>'

let server: StartedServer
let home: string
const tokens: Record<string, string> = {}
const ids: Record<string, string> = {}
let manager: BaseAssetManager

beforeAll(async () => {
  home = await temporaryFolder('assets-web')
  const web = join(home, 'web')
  await mkdir(join(web, 'assets'), { recursive: true })
  await writeFile(join(web, 'index.html'), INDEX)
  await writeFile(join(web, 'assets', 'index-abc123.js'), 'console.log("app")')
  const config = AssetConfig.load({ env: { ASSETS_HOME: join(home, 'stack') }, cwd: home })
  manager = await createAssetManager(config, { importer: (s) => import(s), actor: { user: 'server', roles: ['admin'] } })
  for (const user of ['alice', 'bob']) {
    const minted = mintApiToken()
    await manager.registry.tokens?.createToken({ id: minted.id, hash: minted.hash, user, groups: [], roles: [] }, { actor: 'user:test' })
    tokens[user] = minted.token
    ids[user] = minted.id
  }
  const file = join(home, 'secret.txt')
  await writeFile(file, 'alice only')
  await manager.as({ user: 'alice' }).put('notes/secret', file, {}, { accessControl: { read: [] } })
  server = await startAssetServer({ manager, port: 0, uploadDir: join(home, 'uploads'), webRoot: web })
})
afterAll(() => server?.close())

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${server.url}${path}`, { method, headers, redirect: 'manual' })

describe('the web catalogue at /', () => {
  it('serves the page at / and at every client route, with a policy that loads only its own files', async () => {
    for (const path of ['/', '/a/datasets/pbmc?v=1.0.0', '/lineage/models/scvi', '/a/models/scvi.ckpt', '/lineage/datasets/pbmc.v2']) {
      const response = await get(path)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type'), path).toContain('text/html')
      expect(await response.text(), path).toBe(INDEX)
      expect(response.headers.get('content-security-policy'), path).toContain("default-src 'self'")
      expect(response.headers.get('cache-control'), path).toBe('no-cache')
    }
    const asset = await get('/assets/index-abc123.js')
    expect(asset.status).toBe(200)
    expect(asset.headers.get('cache-control')).toContain('immutable')
    for (const path of ['/assets/index-abc123.js', '/index.html']) {
      const file = await get(path)
      expect(file.headers.get('content-security-policy'), path).toContain("default-src 'self'")
      expect(file.headers.get('x-content-type-options'), path).toBe('nosniff')
    }
  })

  it('answers a missing build file and an unknown API route with 404, not the page', async () => {
    for (const path of ['/assets/missing.js', '/assets/index-abc123.js.map', '/assets/..%2f..%2fstack/config.yaml', '/v1/nothing-here']) {
      const response = await get(path, { authorization: `Bearer ${tokens.alice}` })
      expect(response.status, path).toBe(404)
      expect(await response.text(), path).not.toContain('<div id="root">')
    }
  })

  it('never serves a file from outside the build, whatever the path', async () => {
    for (const path of ['/..%2f..%2fsecret.txt', '/..%2fstack%2fconfig.yaml', '/%2e%2e/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..\\..\\secret.txt']) {
      const response = await get(path, { authorization: `Bearer ${tokens.alice}` })
      const text = await response.text()
      expect([200, 400, 404], path).toContain(response.status)
      if (response.status === 200) expect(text, path).toBe(INDEX)
      expect(text, path).not.toContain('alice only')
    }
  })

  it('still asks for a token on every API route, however its path is spelt', async () => {
    expect((await get('/v1/whoami')).status).toBe(401)
    expect((await get('/v1/info/notes/secret')).status).toBe(401)
    // The router decodes %76 to v and takes absolute-form targets: these reach API routes too.
    for (const path of ['/%761/whoami', '/v%31/info/notes/secret', '/%76%31/content/notes/secret']) {
      const response = await get(path)
      expect(response.status, path).toBe(401)
      expect(await response.text(), path).not.toContain('alice only')
    }
    const { host } = new URL(server.url)
    const absolute = await rawCall(server.url, 'GET', `http://${host}/v1/content/notes/secret`)
    expect(absolute.status).toBe(401)
    expect(absolute.body).not.toContain('alice only')
  })
})

describe('the download cookie', () => {
  async function signIn(user: string): Promise<string> {
    const response = await fetch(`${server.url}/v1/session`, { method: 'POST', headers: { authorization: `Bearer ${tokens[user]}` } })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ user })
    const cookie = response.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^assets_session=[^;]+; Path=\/v1\/content\/; HttpOnly; SameSite=Strict; Max-Age=43200$/)
    return cookie.split(';')[0] as string
  }

  it('lets a signed-in browser follow a download link, as the token’s user', async () => {
    const alice = await signIn('alice')
    const response = await get('/v1/content/notes/secret', { cookie: alice })
    expect(response.status).toBe(200)
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await response.text()).toBe('alice only')
    const bob = await signIn('bob')
    expect((await get('/v1/content/notes/secret', { cookie: bob })).status).toBe(404)
  })

  it('is taken for downloads only: never for metadata or for a change', async () => {
    const alice = await signIn('alice')
    expect((await get('/v1/info/notes/secret', { cookie: alice })).status).toBe(401)
    expect((await get('/v1/whoami', { cookie: alice })).status).toBe(401)
    const change = await fetch(`${server.url}/v1/tags/notes/secret`, { method: 'PUT', headers: { cookie: alice, 'content-type': 'application/json' }, body: JSON.stringify({ tag: 'x', version: '1.0.0' }) })
    expect(change.status).toBe(401)
    expect((await get('/v1/session', { cookie: alice }, 'POST')).status).toBe(401)
  })

  it('is cleared by signing out, and a forged or revoked one is refused', async () => {
    // Signing out needs no token: a tab whose token was just refused still clears its cookie.
    const out = await fetch(`${server.url}/v1/session`, { method: 'DELETE' })
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0')
    expect((await get('/v1/content/notes/secret', { cookie: 'assets_session=ast_forged' })).status).toBe(401)
    expect((await get('/v1/content/notes/secret', { cookie: 'other=1' })).status).toBe(401)
    expect((await get('/v1/content/notes/secret', { cookie: 'assets_session=%E0%A4%A' })).status).toBe(401)
    const bob = await signIn('bob')
    await manager.registry.tokens?.revokeToken(ids.bob as string, { actor: 'user:test' })
    expect((await get('/v1/content/notes/secret', { cookie: bob })).status).toBe(401)
  })
})
