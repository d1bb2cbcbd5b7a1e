import { createHash } from 'node:crypto'
import { blobLocation, type ContentDigest } from '@assets/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerStack, startServerStack } from './fixtures/server-stack.js'

type ErrorBody = { error: { code: string; message: string } }

let stack: ServerStack

beforeAll(async () => {
  stack = await startServerStack()
})
afterAll(async () => {
  await stack?.close()
})

const digestOf = (bytes: Buffer): ContentDigest => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

async function upload(user: string, bytes: Buffer): Promise<ContentDigest> {
  const digest = digestOf(bytes)
  const response = await stack.call(user, `/v1/blobs/${blobLocation(digest)}`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } })
  expect(response.status).toBe(201)
  return digest
}

async function register(user: string, key: string, bytes: Buffer, extra: Record<string, unknown> = {}) {
  const digest = await upload(user, bytes)
  return stack.call(user, `/v1/register/${key}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: { type: 'file', digest, size: bytes.length, fileCount: 1, location: blobLocation(digest) }, metadata: { organism: 'human' }, options: { fileName: 'x.bin', ...extra } }),
  })
}

describe('the asset server API', () => {
  it('answers health checks without a token and everything else only with one', async () => {
    expect((await stack.call(undefined, '/healthz')).status).toBe(200)
    expect((await stack.call(undefined, '/readyz')).status).toBe(200)
    const anonymous = await stack.call(undefined, '/v1/whoami')
    expect(anonymous.status).toBe(401)
    expect(((await anonymous.json()) as ErrorBody).error.code).toBe('UNAUTHENTICATED')
    const wrong = await fetch(`${stack.url}/v1/whoami`, { headers: { authorization: `Bearer ${stack.tokens.alice?.slice(0, -2)}xx` } })
    expect(wrong.status).toBe(401)
    expect(await (await stack.call('alice', '/v1/whoami')).json()).toEqual({ user: 'alice', groups: ['lab'], roles: [] })
  })

  it('registers uploaded content as the token’s user and serves it with Range and ETag', async () => {
    const bytes = Buffer.from('0123456789abcdef')
    const created = await register('alice', 'data/alice-file', bytes)
    expect(created.status).toBe(201)
    const { record } = (await created.json()) as { record: { createdBy: string } }
    expect(record.createdBy).toBe('user:alice')
    const whole = await stack.call('bob', '/v1/content/data/alice-file')
    expect(whole.status).toBe(200)
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(bytes)
    const etag = whole.headers.get('etag')
    expect(etag).toBe(`"${digestOf(bytes)}"`)
    const part = await stack.call('bob', '/v1/content/data/alice-file', { headers: { range: 'bytes=2-5' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 2-5/16')
    expect(await part.text()).toBe('2345')
    expect((await stack.call('bob', '/v1/content/data/alice-file', { headers: { 'if-none-match': etag as string } })).status).toBe(304)
    expect((await stack.call('bob', '/v1/content/data/alice-file', { headers: { range: 'bytes=99-' } })).status).toBe(416)
  })

  it('refuses an upload whose bytes are not the ones its location names, storing nothing', async () => {
    const claimed = digestOf(Buffer.from('what I claim'))
    const response = await stack.call('alice', `/v1/blobs/${blobLocation(claimed)}`, {
      method: 'PUT',
      body: Buffer.from('something else'),
      headers: { 'content-type': 'application/octet-stream' },
    })
    expect(response.status).toBe(422)
    expect(((await response.json()) as ErrorBody).error.code).toBe('INTEGRITY_ERROR')
    expect(await stack.manager.storage.stat(blobLocation(claimed))).toBeNull()
  })

  it('publishes an OpenAPI 3.1 document of its routes', async () => {
    const doc = (await (await stack.call(undefined, '/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/find', '/v1/info/{key}', '/v1/content/{key}', '/v1/blobs/{key}', '/v1/register/{key}']))
  })

  it('keeps a private version out of reach of a token that may not read it', async () => {
    const created = await register('alice', 'data/private', Buffer.from('secret bytes'), { accessControl: { owner: 'user:alice', read: [], write: [], admin: [] } })
    expect(created.status).toBe(201)
    for (const path of ['/v1/info/data/private', '/v1/versions/data/private', '/v1/content/data/private', '/v1/tags/data/private', '/v1/lineage/data/private']) {
      const response = await stack.call('bob', path)
      expect(response.status, path).toBe(404)
    }
    const found = (await (await stack.call('bob', '/v1/find', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { keyPrefix: 'data/' } }) })).json()) as { items: Array<{ key: string }> }
    expect(found.items.map((r) => r.key)).not.toContain('data/private')
    expect((await stack.call('alice', '/v1/content/data/private')).status).toBe(200)
  })

  it('lets a user register content only after sending its bytes, and HEAD tells nobody what others stored', async () => {
    const bytes = Buffer.from('alice private bytes, known only by digest')
    expect((await register('alice', 'data/alice-only', bytes, { accessControl: { owner: 'user:alice', read: [], write: [], admin: [] } })).status).toBe(201)
    const digest = digestOf(bytes)
    const head = await stack.call('bob', `/v1/blobs/${blobLocation(digest)}`, { method: 'HEAD' })
    expect(head.status).toBe(404)
    expect(head.headers.get('upload-offset')).toBe('0')
    const claim = { type: 'file', digest, size: bytes.length, fileCount: 1, location: blobLocation(digest) }
    const stolen = await stack.call('bob', '/v1/register/p/stolen', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content: claim }) })
    expect(stolen.status).toBe(422)
    expect(((await stolen.json()) as ErrorBody).error.message).toContain('was not uploaded by user "bob"')
    expect((await stack.call('bob', '/v1/content/p/stolen')).status).toBe(404)
    // Whoever has the bytes may register them, stored once.
    expect((await register('bob', 'p/own-copy', bytes)).status).toBe(201)
    expect(await (await stack.call('bob', '/v1/content/p/own-copy')).text()).toBe(bytes.toString())
  })

  it('keeps at most 64 unfinished uploads per user, and verify is an admin’s', async () => {
    await stack.addUser({ user: 'carol' })
    const unfinished = (i: number) => {
      const location = blobLocation(digestOf(Buffer.from(`never finished ${i}`)))
      return stack.call('carol', `/v1/blobs/${location}`, { method: 'PUT', body: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-0/2' } })
    }
    for (let i = 0; i < 64; i++) expect((await unfinished(i)).status).toBe(202)
    const refused = await unfinished(64)
    expect(refused.status).toBe(400)
    expect(((await refused.json()) as ErrorBody).error.message).toContain('64 unfinished uploads')
    // Another user is not held back by carol's.
    expect((await register('bob', 'p/after-carol', Buffer.from('bob is fine'))).status).toBe(201)

    const verify = (user: string) => stack.call(user, '/v1/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"deep": true}' })
    expect((await verify('bob')).status).toBe(403)
    expect((await verify('admin')).status).toBe(200)
  })

  it('records a client’s own audit entries under client:, never as the server’s', async () => {
    const response = await register('bob', 'p/audited', Buffer.from('audited bytes'), { audit: [{ action: 'compat-override', details: { approvedBy: 'user:admin' } }] })
    expect(response.status).toBe(201)
    const trail = await stack.manager.audit({ key: 'p/audited' })
    expect(trail.map((e) => e.action)).toContain('client:compat-override')
    expect(trail.map((e) => e.action)).not.toContain('compat-override')
  })
})
