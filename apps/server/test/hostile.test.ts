import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { blobLocation } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyOf, digestOf, JSON_HEADERS, putFile, registerFile, uploadBlob } from './fixtures/content.js'
import { openSocket, rawCall, } from './fixtures/raw-http.js'
import { type ServerStack, startServerStack } from './fixtures/server-stack.js'

// Requests written to do harm: each is refused with a clean error, registers nothing and
// leaves no bytes behind.
let stack: ServerStack
const SENTINEL = 'SENTINEL-outside-storage-7d1c'

beforeAll(async () => {
  stack = await startServerStack()
  // Something a traversal out of the store (or the upload area) would reach.
  await writeFile(join(stack.home, 'sentinel.txt'), SENTINEL)
  await putFile(stack, 'alice', 'data/file', Buffer.from('a readable file'))
  const dir = await temporaryFolder('hostile-folder')
  await writeFile(join(dir, 'a.txt'), 'folder file')
  await stack.manager.as({ user: 'alice', groups: ['lab'], roles: [] }).put('data/folder', dir)
})
afterAll(async () => {
  await stack?.close()
})

/**
 * What a state check compares: every version (deleted too) and every stored object, but the
 * upload receipts, which a successful upload of the test's own setup leaves (see UploadArea).
 */
async function snapshot() {
  const found = await stack.manager.findAssets({ allVersions: true, includeDeleted: true, limit: 1000 })
  const objects: string[] = []
  for await (const object of stack.manager.storage.list('')) if (!object.location.startsWith('staging/receipts/')) objects.push(object.location)
  return { versions: found.items.map((r) => `${r.key}@${r.version}`).sort(), objects: objects.sort() }
}

const TRAVERSALS = [
  '../../../sentinel.txt',
  '..%2f..%2f..%2fsentinel.txt',
  '%2e%2e/%2e%2e/%2e%2e/sentinel.txt',
  '%2e%2e%2f%2e%2e%2f%2e%2e%2fsentinel.txt',
  '%252e%252e%252f%252e%252e%252fsentinel.txt',
  '%252e%252e/%252e%252e/sentinel.txt',
  '..%5c..%5c..%5csentinel.txt',
  '..\\..\\..\\sentinel.txt',
  'data%5c..%5c..%5csentinel.txt',
  'data/file%00',
  'data%00/file',
  '%00',
  '/etc/passwd',
  '%2fetc%2fpasswd',
  '%2F..%2F..%2Fsentinel.txt',
  './data/file',
  'data/./file',
  'data//file',
  'data/file/..',
  '%c0%ae%c0%ae/sentinel.txt',
  '%ef%bc%8e%ef%bc%8e/sentinel.txt',
  `${'a'.repeat(300)}/${'b'.repeat(300)}/${'c'.repeat(1000)}`,
  'a/'.repeat(2000),
  `data/${'%2e'.repeat(3000)}`,
]

/** Every route with a key (or location) in its path: method, path prefix, query, body. */
const ROUTES: Array<{ method: string; prefix: string; query?: string; body?: unknown }> = [
  { method: 'GET', prefix: '/v1/info/' },
  { method: 'GET', prefix: '/v1/record/', query: '?version=1.0.0' },
  { method: 'GET', prefix: '/v1/versions/' },
  { method: 'DELETE', prefix: '/v1/versions/', query: '?version=1.0.0' },
  { method: 'GET', prefix: '/v1/tags/' },
  { method: 'PUT', prefix: '/v1/tags/', body: { tag: 'x', version: '1.0.0' } },
  { method: 'DELETE', prefix: '/v1/tags/', query: '?tag=latest' },
  { method: 'PUT', prefix: '/v1/acl/', body: { accessControl: { read: ['*'] } } },
  { method: 'GET', prefix: '/v1/annotations/' },
  { method: 'POST', prefix: '/v1/annotations/', body: { text: 'x' } },
  { method: 'GET', prefix: '/v1/lineage/' },
  { method: 'GET', prefix: '/v1/content/' },
  { method: 'HEAD', prefix: '/v1/content/' },
  { method: 'POST', prefix: '/v1/validate/', body: {} },
  { method: 'POST', prefix: '/v1/register/', body: { content: { type: 'file', digest: digestOf(Buffer.from('x')), size: 1, fileCount: 1, location: blobLocation(digestOf(Buffer.from('x'))) } } },
  { method: 'HEAD', prefix: '/v1/blobs/' },
  { method: 'HEAD', prefix: '/v1/blobs/blobs/sha256/' },
  { method: 'DELETE', prefix: '/v1/tokens/' },
]

function expectRefused(response: { status: number; body: string; raw?: string; truncated?: boolean }, label: string, method = 'GET') {
  expect([400, 404, 414, 431], `${label}: ${response.status} ${response.body}`).toContain(response.status)
  expect(response.raw ?? response.body, label).not.toContain(SENTINEL)
  expect(response.raw ?? response.body, label).not.toContain('root:x:0')
  if (method !== 'HEAD' && response.body !== '' && !response.truncated) {
    const code = JSON.parse(response.body).error?.code
    expect(['INVALID_KEY', 'INVALID_INPUT', 'NOT_FOUND', 'ASSET_NOT_FOUND'], label).toContain(code)
  }
}

describe('hostile requests', () => {
  it('refuses path traversal in every route parameter, reading and changing nothing', async () => {
    const before = await snapshot()
    for (const route of ROUTES) {
      for (const evil of TRAVERSALS) {
        const target = `${route.prefix}${evil}${route.query ?? ''}`
        const body = route.body === undefined ? undefined : JSON.stringify(route.body)
        const headers = { ...stack.as('admin'), ...(body !== undefined ? JSON_HEADERS : {}) }
        const response = await rawCall(stack.url, route.method, target, headers, body)
        expectRefused(response, `${route.method} ${target.slice(0, 120)}`, route.method)
      }
    }
    expect(await snapshot()).toEqual(before)
  })

  it('refuses traversal in query and body parameters', async () => {
    const before = await snapshot()
    const evil = ['../../sentinel.txt', '..%2f..%2fsentinel.txt', 'blobs/../../sentinel.txt', '/etc/passwd', 'blobs\\..\\..\\sentinel.txt', 'a.txt\0', 'a.txt%00', '%2e%2e/sentinel.txt', '..']
    for (const value of evil) {
      const q = encodeURIComponent(value)
      for (const path of [
        `/v1/content/data/file?location=${q}`,
        `/v1/content/data/folder?location=${q}`,
        `/v1/content/data/folder?path=${q}`,
        `/v1/content/data/file?ref=${q}`,
        `/v1/info/data/file?ref=${q}`,
        `/v1/audit?key=${q}`,
        `/v1/lineage/data/file?version=${q}`,
        `/v1/annotations/data/file?version=${q}`,
      ]) {
        const response = await stack.call('admin', path)
        const body = await response.text()
        expectRefused({ status: response.status, body }, path)
      }
      const verify = await stack.call('admin', '/v1/verify', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ key: value }) })
      expectRefused({ status: verify.status, body: await verify.text() }, `verify ${value}`)
      const lease = await stack.call('admin', '/v1/leases', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ op: 'hold', holder: 'h', locations: [value], ttlMs: 1000 }) })
      expectRefused({ status: lease.status, body: await lease.text() }, `lease ${value}`)
      // A register that points its content at a location outside the blobs.
      const register = await stack.call('admin', '/v1/register/data/evil', {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ content: { type: 'file', digest: digestOf(Buffer.from(SENTINEL)), size: SENTINEL.length, fileCount: 1, location: value.replace('\0', '') || '..' } }),
      })
      expect([400, 422], `register at ${value}`).toContain(register.status)
    }
    expect(await snapshot()).toEqual(before)
  })

  it('answers oversized headers with 431, an oversized JSON body with 413 and malformed JSON with 400 INVALID_INPUT', async () => {
    const big = await rawCall(stack.url, 'GET', '/v1/whoami', { ...stack.as('alice'), 'x-padding': 'p'.repeat(64 * 1024) })
    expect(big.status).toBe(431)
    const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`x-h${i}`, 'v'.repeat(20)]))
    expect((await rawCall(stack.url, 'GET', '/v1/whoami', { ...stack.as('alice'), ...many })).status).toBe(431)

    const huge = JSON.stringify({ query: { text: 'x'.repeat(5 * 1024 * 1024) } })
    const tooLarge = await stack.call('alice', '/v1/find', { method: 'POST', headers: JSON_HEADERS, body: huge })
    expect(tooLarge.status).toBe(413)
    expect((await bodyOf(tooLarge)).error.code).toBe('INVALID_INPUT')
    const before = await snapshot()
    const annotation = await stack.call('alice', '/v1/annotations/data/file', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ text: 'y'.repeat(5 * 1024 * 1024) }) })
    expect(annotation.status).toBe(413)

    for (const body of ['{', '{"query": }', '{"query": {"text": "x"}', 'null', '[]', '"text"', '\u0000', '{"__proto__": {"admin": true}, "query": {}}x']) {
      const response = await stack.call('alice', '/v1/find', { method: 'POST', headers: JSON_HEADERS, body })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect((await bodyOf(response)).error.code, JSON.stringify(body)).toBe('INVALID_INPUT')
    }
    const bad = await stack.call('alice', '/v1/register/data/malformed', { method: 'POST', headers: JSON_HEADERS, body: '{"content": {"type": "file",' })
    expect(bad.status).toBe(400)
    expect((await bodyOf(bad)).error.code).toBe('INVALID_INPUT')
    const notes = await bodyOf(await stack.call('alice', '/v1/annotations/data/file'))
    expect(notes).toEqual([])
    expect(await snapshot()).toEqual(before)
  })

  it('cuts off a client that trickles its headers, within the headers timeout', async () => {
    const slow = await startServerStack({ headersTimeoutMs: 1000 })
    try {
      const socket = await openSocket(slow.url)
      const started = Date.now()
      let received = ''
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1')
      })
      const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)))
      socket.on('error', () => {})
      socket.write(`GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slow.tokens.alice}\r\n`)
      const timer = setInterval(() => {
        if (!socket.destroyed) socket.write('X-Slow: a\r\n')
      }, 100)
      const elapsed = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 8000))])
      clearInterval(timer)
      socket.destroy()
      expect(elapsed, 'the connection was still open after 8 s').toBeGreaterThan(0)
      expect(elapsed).toBeGreaterThanOrEqual(900)
      expect(elapsed).toBeLessThan(4000)
      expect(received).not.toContain('"user":"alice"')
      // A well-behaved client of the same server is served.
      expect((await slow.call('alice', '/v1/whoami')).status).toBe(200)
    } finally {
      await slow.close()
    }
  })

  it('refuses uploads whose bytes do not match the declared digest, size or range, keeping nothing', async () => {
    const real = Buffer.from('the real content, twenty-nine')
    const location = blobLocation(digestOf(real))
    const put = (body: Buffer, headers: Record<string, string> = {}, at = location) =>
      stack.call('alice', `/v1/blobs/${at}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream', ...headers } })
    const before = await snapshot()
    const cases: Array<[string, () => Promise<Response>, number]> = [
      ['too many bytes', () => put(Buffer.concat([real, Buffer.from('extra')])), 422],
      ['too few bytes, as if whole', () => put(real.subarray(0, 10), { 'content-range': `bytes 0-9/10` }), 422],
      ['other bytes of the same size', () => put(Buffer.from('x'.repeat(real.length))), 422],
      ['range not agreeing with the body', () => put(real, { 'content-range': `bytes 0-4/${real.length}` }), 400],
      ['range past its size', () => put(real, { 'content-range': `bytes 0-${real.length - 1}/5` }), 400],
      ['range from where no upload stopped', () => put(real.subarray(5), { 'content-range': `bytes 5-${real.length - 1}/${real.length}` }), 400],
      ['range not in bytes', () => put(real, { 'content-range': `items 0-${real.length - 1}/${real.length}` }), 400],
      ['range with a negative start', () => put(real, { 'content-range': `bytes -1-${real.length - 2}/${real.length}` }), 400],
      ['size beyond the limit', () => put(real, { 'content-range': `bytes 0-${real.length - 1}/${2 ** 53}` }), 413],
      ['not octet-stream', () => put(real, { 'content-type': 'text/plain' }), 400],
      ['a location that is not a blob', () => put(real, {}, 'manifests/x'), 400],
      ['upper-case digest', () => put(real, {}, location.toUpperCase()), 400],
      ['prefix not of the digest', () => put(real, {}, `blobs/sha256/00/${location.slice(-64)}`), 400],
    ]
    for (const [label, send, status] of cases) {
      const response = await send()
      const body = await bodyOf(response).catch(() => ({}))
      expect(response.status, `${label}: ${JSON.stringify(body)}`).toBe(status)
      expect(['INTEGRITY_ERROR', 'INVALID_INPUT'], label).toContain(body.error?.code)
      expect(await stack.manager.storage.stat(location), label).toBeNull()
    }
    // Nothing of the refused uploads waits to be resumed either.
    expect((await stack.call('alice', `/v1/blobs/${location}`, { method: 'HEAD' })).headers.get('upload-offset')).toBe('0')
    // A body shorter than its Content-Length, then the connection ends: nothing stored, and the upload resumes.
    const { port, hostname } = new URL(stack.url)
    const cut = `PUT /v1/blobs/${location} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${stack.tokens.alice}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${real.length}\r\n\r\n`
    const socket = await openSocket(stack.url)
    socket.write(Buffer.concat([Buffer.from(cut), real.subarray(0, 12)]))
    await new Promise((resolve) => setTimeout(resolve, 200))
    socket.destroy()
    let offset = ''
    for (let i = 0; i < 50 && offset !== '12'; i++) {
      offset = (await stack.call('alice', `/v1/blobs/${location}`, { method: 'HEAD' })).headers.get('upload-offset') ?? ''
      if (offset !== '12') await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(offset).toBe('12')
    expect(await stack.manager.storage.stat(location)).toBeNull()
    // Bob's upload of the same blob is his own: it starts at 0.
    expect((await stack.call('bob', `/v1/blobs/${location}`, { method: 'HEAD' })).headers.get('upload-offset')).toBe('0')
    const rest = await put(real.subarray(12), { 'content-range': `bytes 12-${real.length - 1}/${real.length}` })
    expect(rest.status).toBe(201)
    expect((await stack.manager.storage.stat(location))?.size).toBe(real.length)
    const after = await snapshot()
    expect(after.versions).toEqual(before.versions)
    expect(after.objects).toEqual([...before.objects, location].sort())
  })

  it('refuses to register content never uploaded (422 INTEGRITY_ERROR), registering nothing', async () => {
    const before = await snapshot()
    const never = Buffer.from('never uploaded')
    const response = await registerFile(stack, 'alice', 'data/never', never)
    expect(response.status).toBe(422)
    expect((await bodyOf(response)).error.code).toBe('INTEGRITY_ERROR')
    // Content that is stored, claimed under another digest or size, is refused too.
    const stored = Buffer.from('stored bytes')
    expect((await uploadBlob(stack, 'alice', stored)).status).toBe(201)
    const storedLocation = blobLocation(digestOf(stored))
    for (const content of [
      { type: 'file', digest: digestOf(never), size: stored.length, fileCount: 1, location: storedLocation },
      { type: 'file', digest: digestOf(stored), size: stored.length + 1, fileCount: 1, location: storedLocation },
      { type: 'folder', digest: digestOf(stored), size: stored.length, fileCount: 1, location: storedLocation },
    ]) {
      const claim = await stack.call('alice', '/v1/register/data/never', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ content }) })
      expect([400, 422], JSON.stringify(content)).toContain(claim.status)
    }
    const after = await snapshot()
    expect(after.versions).toEqual(before.versions)
    expect(after.objects).toEqual([...before.objects, storedLocation].sort())
    expect((await stack.call('alice', '/v1/info/data/never')).status).toBe(404)
  })
})
