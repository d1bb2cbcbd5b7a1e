import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { blobLocation, mintApiToken, parseApiToken } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyOf, digestOf, JSON_HEADERS, putFile, registerFile, uploadBlob } from './fixtures/content.js'
import { type ServerStack, startServerStack } from './fixtures/server-stack.js'

// Access control as the server enforces it, route by route: alice's private versions are
// invisible to bob, whatever he asks and however he asks it.
let stack: ServerStack
const PRIVATE = { owner: 'user:alice', read: [], write: [], admin: [] }
const SECRET = Buffer.from('alice private bytes: organism zebrafish-secret')
const FOLDER_SECRET = Buffer.from('a file only the private folder holds')

beforeAll(async () => {
  stack = await startServerStack()
  await putFile(stack, 'alice', 'acl/private', SECRET, { accessControl: PRIVATE, tags: ['gold'] }, { organism: 'zebrafish-secret' })
  await stack.call('alice', '/v1/annotations/acl/private', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ text: 'private note' }) })
  // Readable by everyone, derived from the private one: its lineage must not name it.
  await putFile(stack, 'alice', 'acl/public', Buffer.from('alice public bytes'), { tags: ['stable'], relationships: [{ relation: 'derived_from', key: 'acl/private', version: '1.0.0' }] }, { organism: 'human' })
  // Two folders: a private one with a file of its own, and a readable one.
  const alice = stack.manager.as({ user: 'alice', groups: ['lab'], roles: [] })
  const privateDir = await temporaryFolder('acl-private-folder')
  await mkdir(join(privateDir, 'sub'))
  await writeFile(join(privateDir, 'sub', 'secret.txt'), FOLDER_SECRET)
  await alice.put('acl/private-folder', privateDir, {}, { accessControl: PRIVATE })
  const publicDir = await temporaryFolder('acl-public-folder')
  await writeFile(join(publicDir, 'readme.txt'), 'public folder file')
  await alice.put('acl/public-folder', publicDir)
})
afterAll(async () => {
  await stack?.close()
})

type Call = { method: string; path: (key: string) => string; body?: unknown }

/** Every route that names an asset, as bob would call it against `key`. */
const KEYED_ROUTES: Call[] = [
  { method: 'GET', path: (k) => `/v1/info/${k}` },
  { method: 'GET', path: (k) => `/v1/info/${k}?ref=gold` },
  { method: 'GET', path: (k) => `/v1/record/${k}?version=1.0.0` },
  { method: 'GET', path: (k) => `/v1/versions/${k}` },
  { method: 'GET', path: (k) => `/v1/versions/${k}?deleted=true` },
  { method: 'DELETE', path: (k) => `/v1/versions/${k}?version=1.0.0` },
  { method: 'GET', path: (k) => `/v1/tags/${k}` },
  { method: 'PUT', path: (k) => `/v1/tags/${k}`, body: { tag: 'mine', version: '1.0.0' } },
  { method: 'DELETE', path: (k) => `/v1/tags/${k}?tag=gold` },
  { method: 'PUT', path: (k) => `/v1/acl/${k}`, body: { accessControl: { read: ['*'] } } },
  { method: 'GET', path: (k) => `/v1/annotations/${k}` },
  { method: 'GET', path: (k) => `/v1/annotations/${k}?version=1.0.0` },
  { method: 'POST', path: (k) => `/v1/annotations/${k}`, body: { text: 'bob was here' } },
  { method: 'GET', path: (k) => `/v1/lineage/${k}` },
  { method: 'GET', path: (k) => `/v1/audit?key=${k}` },
  { method: 'GET', path: (k) => `/v1/content/${k}` },
  { method: 'HEAD', path: (k) => `/v1/content/${k}` },
  { method: 'GET', path: (k) => `/v1/content/${k}?ref=1.0.0&path=sub/secret.txt` },
  { method: 'POST', path: (k) => `/v1/validate/${k}`, body: {} },
]

async function send(user: string | undefined, call: Call, key: string, headers: Record<string, string> = {}) {
  const init: RequestInit = { method: call.method, headers: { ...headers, ...(call.body !== undefined ? JSON_HEADERS : {}) } }
  if (call.body !== undefined) init.body = JSON.stringify(call.method === 'POST' && call.path(key) === '/v1/verify' ? { key } : call.body)
  const response = await stack.call(user, call.path(key), init)
  const text = await response.text()
  return { status: response.status, text, json: text ? (JSON.parse(text) as { error?: { code: string; message: string } }) : undefined }
}

/** The error body with the key named in it replaced: what bob could compare. */
const shape = (text: string, key: string) => text.split(key).join('<key>')

describe('access control through the server', () => {
  it('answers a private asset exactly as one that never existed, on every route', async () => {
    for (const key of ['acl/private', 'acl/private-folder']) {
      for (const call of KEYED_ROUTES) {
        const label = `${call.method} ${call.path(key)}`
        const missing = await send('bob', call, 'acl/never-existed')
        const denied = await send('bob', call, key)
        expect(denied.status, label).toBe(missing.status)
        expect(shape(denied.text, key), label).toBe(shape(missing.text, 'acl/never-existed'))
        expect(denied.status, label).toBe(404)
        if (call.method !== 'HEAD') expect(denied.json?.error?.code, label).toBe('ASSET_NOT_FOUND')
        expect(denied.text, label).not.toContain('zebrafish')
      }
    }
    // Nothing bob tried changed alice's asset.
    const alice = await bodyOf(await stack.call('alice', '/v1/info/acl/private'))
    expect(alice.tags).toContain('gold')
    expect(alice.tags).not.toContain('mine')
    expect(alice.accessControl).toEqual(PRIVATE)
    expect(alice.deletedAt ?? null).toBeNull()
    const notes = await bodyOf(await stack.call('alice', '/v1/annotations/acl/private'))
    expect(notes.map((n: { text: string }) => n.text)).toEqual(['private note'])
  })

  it('keeps a private version out of every listing and search', async () => {
    const queries = [{}, { keyPrefix: 'acl/' }, { text: 'zebrafish' }, { where: { organism: 'zebrafish-secret' } }, { tag: 'gold' }, { allVersions: true, includeDeleted: true }]
    for (const query of queries) {
      const response = await stack.call('bob', '/v1/find', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ query }) })
      const text = await response.text()
      expect(response.status, JSON.stringify(query)).toBe(200)
      expect(text, JSON.stringify(query)).not.toContain('acl/private')
      expect(text).not.toContain('zebrafish')
    }
    // Alice finds it: the queries are right, only bob is blind.
    const mine = await bodyOf(await stack.call('alice', '/v1/find', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ query: { where: { organism: 'zebrafish-secret' } } }) }))
    expect(mine.items.map((r: { key: string }) => r.key)).toEqual(['acl/private'])
    const verified = await (await stack.call('bob', '/v1/verify', { method: 'POST', headers: JSON_HEADERS, body: '{}' })).text()
    expect(verified).not.toContain('acl/private')
  })

  it('follows lineage through a readable asset without naming the private one it relates to', async () => {
    const bob = await stack.call('bob', '/v1/lineage/acl/public?direction=both&depth=5')
    expect(bob.status).toBe(200)
    const text = await bob.text()
    expect(text).not.toContain('acl/private')
    expect(JSON.parse(text).edges).toEqual([])
    const alice = await bodyOf(await stack.call('alice', '/v1/lineage/acl/public?direction=up'))
    expect(alice.edges.map((e: { to: { key: string } }) => e.to.key)).toContain('acl/private')
  })

  it('serves a folder file only through a version whose manifest holds it', async () => {
    const secretBlob = blobLocation(digestOf(FOLDER_SECRET))
    // Alice reaches it through her own folder, by location and by path.
    const own = await stack.call('alice', `/v1/content/acl/private-folder?location=${encodeURIComponent(secretBlob)}`)
    expect(own.status).toBe(200)
    expect(Buffer.from(await own.arrayBuffer())).toEqual(FOLDER_SECRET)
    expect(await (await stack.call('alice', '/v1/content/acl/private-folder?path=sub/secret.txt')).text()).toBe(FOLDER_SECRET.toString())
    // Bob reads the public folder, but not another folder's blob through it, nor a file's blob.
    expect(await (await stack.call('bob', '/v1/content/acl/public-folder?path=readme.txt')).text()).toBe('public folder file')
    const privateFile = (await bodyOf(await stack.call('alice', '/v1/info/acl/private'))).location as string
    for (const location of [secretBlob, privateFile, `${secretBlob}/../${privateFile}`]) {
      for (const base of ['acl/public-folder', 'acl/public']) {
        for (const method of ['GET', 'HEAD']) {
          const response = await stack.call('bob', `/v1/content/${base}?location=${encodeURIComponent(location)}`, { method })
          expect(response.status, `${method} ${base} ${location}`).toBe(404)
          if (method === 'GET') expect(await response.text()).not.toContain(FOLDER_SECRET.toString())
        }
      }
    }
    expect((await stack.call('bob', '/v1/content/acl/public-folder?path=sub/secret.txt')).status).toBe(404)
  })

  it('answers too little right with 403 ACCESS_DENIED on readable assets and admin routes', async () => {
    const denied: Array<[string, string, unknown?]> = [
      ['PUT', '/v1/tags/acl/public', { tag: 'bobs', version: '1.0.0' }],
      ['DELETE', '/v1/tags/acl/public?tag=stable'],
      ['DELETE', '/v1/versions/acl/public?version=1.0.0'],
      ['PUT', '/v1/acl/acl/public', { accessControl: { read: ['user:bob'] } }],
      ['GET', '/v1/audit?key=acl/public'],
      ['GET', '/v1/audit'],
      ['POST', '/v1/gc', { dryRun: true }],
      ['GET', '/v1/tokens'],
      ['POST', '/v1/tokens', { user: 'bob', roles: ['admin'] }],
      ['DELETE', `/v1/tokens/${parseApiToken(stack.tokens.admin)?.id}`],
    ]
    for (const [method, path, body] of denied) {
      const response = await stack.call('bob', path, { method, ...(body !== undefined ? { headers: JSON_HEADERS, body: JSON.stringify(body) } : {}) })
      expect(response.status, `${method} ${path}`).toBe(403)
      expect((await bodyOf(response)).error.code, `${method} ${path}`).toBe('ACCESS_DENIED')
    }
    // A new version of alice's key by bob is refused, and none is registered.
    const bytes = Buffer.from('bob overwrites')
    expect((await uploadBlob(stack, 'bob', bytes)).status).toBe(201)
    const register = await registerFile(stack, 'bob', 'acl/public', bytes)
    expect(register.status).toBe(403)
    expect((await bodyOf(register)).error.code).toBe('ACCESS_DENIED')
    const versions = await bodyOf(await stack.call('alice', '/v1/versions/acl/public'))
    expect(versions.map((r: { version: string }) => r.version)).toEqual(['1.0.0'])
    // The admin token still works: bob's attempt to revoke it did nothing.
    expect((await stack.call('admin', '/v1/tokens')).status).toBe(200)
    expect((await stack.call('admin', '/v1/gc', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ dryRun: true }) })).status).toBe(200)
  })

  it('keeps leases of one user apart from another’s and refuses locations outside blobs', async () => {
    const location = blobLocation(digestOf(Buffer.from('leased by alice')))
    const hold = await stack.call('alice', '/v1/leases', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ op: 'hold', holder: 'put-1', locations: [location], ttlMs: 60_000 }) })
    expect(hold.status).toBe(200)
    expect(await bodyOf(hold)).toEqual({ refused: [] })
    // gc cannot claim what alice holds; bob releasing a holder of the same name is not alice's release.
    const claim = () => stack.manager.registry.claimContent('probe-gc', [location], 60_000)
    expect((await claim()).claimed).toEqual([])
    const released = await stack.call('bob', '/v1/leases', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ op: 'release', holder: 'put-1', locations: [location] }) })
    expect(released.status).toBe(200)
    expect((await claim()).claimed).toEqual([])
    await stack.call('alice', '/v1/leases', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ op: 'release', holder: 'put-1', locations: [location] }) })
    expect((await claim()).claimed).toEqual([location])
    await stack.manager.registry.releaseContent('probe-gc')
    for (const bad of ['../etc/passwd', 'manifests/x', '/blobs/x']) {
      const response = await stack.call('bob', '/v1/leases', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ op: 'hold', holder: 'h', locations: [bad], ttlMs: 1000 }) })
      expect(response.status, bad).toBe(400)
    }
  })

  it('answers wrong, expired and revoked tokens with 401 UNAUTHENTICATED on every route, revocation at once', async () => {
    const store = stack.manager.registry.tokens
    if (!store) throw new Error('no token store')
    const expired = mintApiToken()
    await store.createToken({ id: expired.id, hash: expired.hash, user: 'alice', groups: ['lab'], roles: ['admin'], expiresAt: new Date(Date.now() - 1000).toISOString() }, { actor: 'user:test' })
    const revokedText = await stack.addUser({ user: 'carol', roles: ['admin'] })
    expect((await stack.call('carol', '/v1/whoami')).status).toBe(200)
    const revoke = await stack.call('admin', `/v1/tokens/${parseApiToken(revokedText)?.id}`, { method: 'DELETE' })
    expect(revoke.status).toBe(200)
    const alice = stack.tokens.alice as string
    const authorizations = {
      none: undefined,
      wrongSecret: `Bearer ${alice.slice(0, -4)}abcd`,
      unknownId: `Bearer ${mintApiToken().token}`,
      garbage: 'Bearer not-a-token',
      basic: `Basic ${Buffer.from('alice:pw').toString('base64')}`,
      expired: `Bearer ${expired.token}`,
      revoked: `Bearer ${revokedText}`,
    }
    const routes: Call[] = [
      ...KEYED_ROUTES,
      { method: 'POST', path: () => '/v1/find', body: { query: {} } },
      { method: 'GET', path: () => '/v1/whoami' },
      { method: 'POST', path: () => '/v1/gc', body: { dryRun: true } },
      { method: 'GET', path: () => '/v1/tokens' },
      { method: 'POST', path: () => '/v1/tokens', body: { user: 'mallory', roles: ['admin'] } },
      { method: 'DELETE', path: () => `/v1/tokens/${parseApiToken(stack.tokens.bob)?.id}` },
      { method: 'POST', path: () => '/v1/leases', body: { op: 'renew', holder: 'h', ttlMs: 1000 } },
      { method: 'HEAD', path: () => `/v1/blobs/${blobLocation(digestOf(SECRET))}` },
      { method: 'POST', path: (k) => `/v1/register/${k}`, body: { content: { type: 'file', digest: digestOf(SECRET), size: SECRET.length, fileCount: 1, location: blobLocation(digestOf(SECRET)) } } },
    ]
    for (const [name, authorization] of Object.entries(authorizations)) {
      for (const call of routes) {
        const init: RequestInit = { method: call.method, headers: { ...(authorization ? { authorization } : {}), ...(call.body !== undefined ? JSON_HEADERS : {}) } }
        if (call.body !== undefined) init.body = JSON.stringify(call.body)
        const response = await fetch(`${stack.url}${call.path('acl/public')}`, init)
        const label = `${name}: ${call.method} ${call.path('acl/public')}`
        expect(response.status, label).toBe(401)
        expect(response.headers.get('www-authenticate'), label).toBe('Bearer')
        if (call.method !== 'HEAD') expect((await bodyOf(response)).error.code, label).toBe('UNAUTHENTICATED')
      }
    }
    // An upload with a bad token stores nothing.
    const bytes = Buffer.from('anonymous upload')
    const upload = await fetch(`${stack.url}/v1/blobs/${blobLocation(digestOf(bytes))}`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${expired.token}` } })
    expect(upload.status).toBe(401)
    expect(await stack.manager.storage.stat(blobLocation(digestOf(bytes)))).toBeNull()
    // Nothing any of those calls tried happened.
    const tokens = await bodyOf(await stack.call('admin', '/v1/tokens'))
    expect(tokens.map((t: { user: string }) => t.user)).not.toContain('mallory')
    expect((await stack.call('bob', '/v1/whoami')).status).toBe(200)
    expect((await bodyOf(await stack.call('alice', '/v1/info/acl/private'))).accessControl).toEqual(PRIVATE)
  })
})
