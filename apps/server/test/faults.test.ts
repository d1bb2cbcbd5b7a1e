import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { blobLocation } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { bodyOf, digestOf, JSON_HEADERS } from './fixtures/content.js'
import { openSocket, parseResponse } from './fixtures/raw-http.js'
import { createToken, killServers, type ServerProcess, spawnServer, stackEnv } from './fixtures/server-process.js'
import { startServerStack } from './fixtures/server-stack.js'

// Faults of clients and of server processes: what was committed stays, nothing half-done is
// registered, and what was cut off resumes.
const schemas: string[] = []
afterAll(() => {
  killServers()
  for (const schema of schemas) spawnSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', 'test', '-c', `DROP SCHEMA IF EXISTS ${schema} CASCADE`])
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A client of one server URL with one token. */
function client(url: string, token: string) {
  return (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) } })
}
type Client = ReturnType<typeof client>

/** Starts a PUT of `bytes` on a raw socket, sends the first `sent` bytes and leaves the socket open. */
async function startUpload(url: string, token: string, bytes: Buffer, sent: number) {
  const { host } = new URL(url)
  const head = `PUT /v1/blobs/${blobLocation(digestOf(bytes))} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bytes.length}\r\n\r\n`
  const socket = await openSocket(url)
  socket.on('error', () => {})
  socket.write(head)
  socket.write(bytes.subarray(0, sent))
  return socket
}

/** The upload offset HEAD reports, once it has reached `expected` (or the last seen after 5 s). */
async function offsetOnceAt(call: Client, location: string, expected: number): Promise<number> {
  let offset = -1
  for (let i = 0; i < 100; i++) {
    const response = await call(`/v1/blobs/${location}`, { method: 'HEAD' })
    offset = Number(response.headers.get('upload-offset') ?? -1)
    if (offset === expected) return offset
    await sleep(50)
  }
  return offset
}

/** Sends the rest of `bytes` from `offset`, then registers it at `key`: the register response. */
async function finishAndRegister(call: Client, key: string, bytes: Buffer, offset: number): Promise<Response> {
  const location = blobLocation(digestOf(bytes))
  const rest = await call(`/v1/blobs/${location}`, {
    method: 'PUT',
    body: bytes.subarray(offset),
    headers: { 'content-type': 'application/octet-stream', ...(offset > 0 ? { 'content-range': `bytes ${offset}-${bytes.length - 1}/${bytes.length}` } : {}) },
  })
  expect(rest.status, await rest.clone().text()).toBe(201)
  return call(`/v1/register/${key}`, {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify({ content: { type: 'file', digest: digestOf(bytes), size: bytes.length, fileCount: 1, location }, options: { fileName: 'x.bin' } }),
  })
}

async function sha256Of(response: Response): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk)
  return `sha256:${hash.digest('hex')}`
}

/** A stack on a fresh home for child server processes: SQLite, or PostgreSQL in a schema of its own. */
async function processStack(registry: 'sqlite' | 'postgres') {
  const home = await temporaryFolder(`server-faults-${registry}`)
  let configPath: string | undefined
  if (registry === 'postgres') {
    const schema = `srv_faults_${randomBytes(6).toString('hex')}`
    schemas.push(schema)
    configPath = join(home, 'config.yaml')
    // A shared registry makes no OS user an admin: the operator is named in the config.
    await writeFile(configPath, `registry:\n  type: postgres\n  host: 127.0.0.1\n  database: test\n  user: postgres\n  schema: ${schema}\nidentity:\n  user: ops\n  roles: [admin]\n`)
  }
  const env = stackEnv(home, configPath)
  const tokens = {
    admin: createToken(env, 'admin', { roles: ['admin'] }),
    alice: createToken(env, 'alice', { groups: ['lab'] }),
    bob: createToken(env, 'bob'),
  }
  return { home, env, tokens }
}

describe('faults', () => {
  it('resumes an upload whose client was cut off mid-way, storing the blob under its digest', async () => {
    const stack = await startServerStack()
    try {
      const bytes = randomBytes(4 * 1024 * 1024)
      const location = blobLocation(digestOf(bytes))
      const sent = 1_500_000
      const socket = await startUpload(stack.url, stack.tokens.alice as string, bytes, sent)
      await sleep(300)
      socket.destroy()
      const call = client(stack.url, stack.tokens.alice as string)
      expect(await offsetOnceAt(call, location, sent)).toBe(sent)
      expect(await stack.manager.storage.stat(location)).toBeNull()
      // A resume from elsewhere than the offset is refused and changes nothing.
      const wrong = await call(`/v1/blobs/${location}`, {
        method: 'PUT',
        body: bytes.subarray(sent + 10),
        headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${sent + 10}-${bytes.length - 1}/${bytes.length}` },
      })
      expect(wrong.status).toBe(400)
      expect(await offsetOnceAt(call, location, sent)).toBe(sent)
      const registered = await finishAndRegister(call, 'faults/resumed', bytes, sent)
      expect(registered.status).toBe(201)
      expect((await stack.manager.storage.stat(location))?.size).toBe(bytes.length)
      let stored = createHash('sha256')
      for await (const chunk of stack.manager.storage.open(location)) stored = stored.update(chunk)
      expect(`sha256:${stored.digest('hex')}`).toBe(digestOf(bytes))
      expect(await sha256Of(await call('/v1/content/faults/resumed'))).toBe(digestOf(bytes))
      // Neither the cut upload nor the refused one holds a connection that shutdown would wait on.
      const closing = Date.now()
      await stack.close()
      expect(Date.now() - closing).toBeLessThan(5000)
    } finally {
      await stack.close()
    }
  })

  it('a server killed mid-upload keeps what was committed, registers nothing half-done, and a rerun succeeds', async () => {
    const { env, tokens } = await processStack('sqlite')
    const first = await spawnServer(env)
    const committed = randomBytes(256 * 1024)
    expect((await finishAndRegister(client(first.url, tokens.alice), 'faults/committed', committed, 0)).status).toBe(201)

    const bytes = randomBytes(8 * 1024 * 1024)
    const location = blobLocation(digestOf(bytes))
    const sent = 3 * 1024 * 1024
    const socket = await startUpload(first.url, tokens.alice, bytes, sent)
    expect(await offsetOnceAt(client(first.url, tokens.alice), location, sent)).toBe(sent)
    first.child.kill('SIGKILL')
    expect(await first.exited).toBeNull()
    socket.destroy()

    const second = await spawnServer(env)
    const call = client(second.url, tokens.alice)
    // What was committed before the kill is whole.
    expect(await sha256Of(await call('/v1/content/faults/committed'))).toBe(digestOf(committed))
    // The cut-off upload registered nothing and stored no blob; its partial bytes wait to be resumed.
    expect((await call('/v1/info/faults/killed')).status).toBe(404)
    const found = await bodyOf(await call('/v1/find', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ query: { keyPrefix: 'faults/' } }) }))
    expect(found.items.map((r: { key: string }) => r.key)).toEqual(['faults/committed'])
    const head = await call(`/v1/blobs/${location}`, { method: 'HEAD' })
    expect(head.status).toBe(404)
    const offset = Number(head.headers.get('upload-offset'))
    expect(offset).toBeGreaterThanOrEqual(0)
    expect(offset).toBeLessThanOrEqual(sent)
    // The rerun, from where the dead server's partial file stopped.
    const registered = await finishAndRegister(call, 'faults/killed', bytes, offset)
    expect(registered.status).toBe(201)
    expect(await sha256Of(await call('/v1/content/faults/killed'))).toBe(digestOf(bytes))
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  })

  it('two server processes on one PostgreSQL stack see each other’s changes at once, and one serves while the other restarts', async () => {
    const { env, tokens } = await processStack('postgres')
    let first: ServerProcess = await spawnServer(env)
    const second = await spawnServer(env)
    const alice1 = client(first.url, tokens.alice)
    const alice2 = client(second.url, tokens.alice)
    const bob2 = client(second.url, tokens.bob)

    expect((await finishAndRegister(alice1, 'shared/data', Buffer.from('version one'), 0)).status).toBe(201)
    expect((await bodyOf(await alice2('/v1/info/shared/data'))).version).toBe('1.0.0')
    expect(await (await bob2('/v1/content/shared/data')).text()).toBe('version one')
    expect((await alice2('/v1/tags/shared/data', { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ tag: 'gold', version: '1.0.0' }) })).status).toBe(204)
    expect((await bodyOf(await alice1('/v1/tags/shared/data'))).gold).toBe('1.0.0')
    expect((await finishAndRegister(alice2, 'shared/data', Buffer.from('version two'), 0)).status).toBe(201)
    expect(await (await alice1('/v1/content/shared/data')).text()).toBe('version two')
    // An ACL change through one holds at once in the other.
    const acl = await alice1('/v1/acl/shared/data', { method: 'PUT', headers: JSON_HEADERS, body: JSON.stringify({ accessControl: { read: [] } }) })
    expect(acl.status).toBe(200)
    expect((await bob2('/v1/info/shared/data')).status).toBe(404)
    // A token revoked through one is refused by the other at once.
    const carol = createToken(env, 'carol')
    expect((await client(first.url, carol)('/v1/whoami')).status).toBe(200)
    const carolId = carol.slice(7, 23)
    expect((await client(second.url, tokens.admin)(`/v1/tokens/${carolId}`, { method: 'DELETE' })).status).toBe(200)
    expect((await client(first.url, carol)('/v1/whoami')).status).toBe(401)

    // The second keeps serving, without one error, while the first is killed and restarted.
    let served = 0
    const failures: string[] = []
    let stop = false
    const load = (async () => {
      while (!stop) {
        try {
          const response = await alice2('/v1/info/shared/data')
          if (response.status === 200) served++
          else failures.push(String(response.status))
          await response.arrayBuffer()
        } catch (error) {
          failures.push(String(error))
        }
      }
    })()
    await sleep(200)
    first.child.kill('SIGKILL')
    await first.exited
    expect((await finishAndRegister(alice2, 'shared/while-down', Buffer.from('put while the first was down'), 0)).status).toBe(201)
    first = await spawnServer(env)
    await sleep(200)
    stop = true
    await load
    expect(failures).toEqual([])
    expect(served).toBeGreaterThan(20)
    // The restarted first sees what the second did meanwhile.
    expect(await (await client(first.url, tokens.alice)('/v1/content/shared/while-down')).text()).toBe('put while the first was down')
    for (const server of [first, second]) {
      server.child.kill('SIGTERM')
      expect(await server.exited).toBe(0)
    }
  })

  it('SIGTERM during a download lets it finish, takes no new connection, then exits 0', async () => {
    const { env, tokens } = await processStack('sqlite')
    const server = await spawnServer(env)
    const bytes = randomBytes(32 * 1024 * 1024)
    expect((await finishAndRegister(client(server.url, tokens.bob), 'faults/big', bytes, 0)).status).toBe(201)

    const socket = await openSocket(server.url)
    const chunks: Buffer[] = []
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.on('error', () => {})
    const firstData = new Promise<void>((resolve) => socket.once('data', () => resolve()))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.write(`GET /v1/content/faults/big HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nAuthorization: Bearer ${tokens.bob}\r\nConnection: close\r\n\r\n`)
    await firstData
    // The client reads slowly: the server cannot have sent 32 MiB yet.
    socket.pause()
    server.child.kill('SIGTERM')
    await sleep(500)
    expect(server.child.exitCode).toBeNull()
    // A new connection is not taken any more.
    const refused = await fetch(`${server.url}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    )
    expect(refused).toBe('refused')
    socket.resume()
    await closed
    const response = parseResponse(Buffer.concat(chunks))
    expect(response?.status).toBe(200)
    const body = Buffer.concat(chunks).subarray(Buffer.concat(chunks).indexOf('\r\n\r\n') + 4)
    expect(body.length).toBe(bytes.length)
    expect(digestOf(body)).toBe(digestOf(bytes))
    expect(await server.exited).toBe(0)
  })
})
