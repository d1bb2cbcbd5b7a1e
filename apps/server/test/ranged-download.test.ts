import { randomBytes } from 'node:crypto'
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createConnection, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { AssetConfig, blobLocation, createAssetManager } from '@assets/core'
import { createRemoteStorage } from '@assets/remote/storage'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { digestOf, putFile } from './fixtures/content.js'
import { clientEnv, type ServerStack, startServerStack } from './fixtures/server-stack.js'

const MiB = 1024 * 1024
const requests: string[] = []
let stack: ServerStack

beforeAll(async () => {
  stack = await startServerStack({ requestLog: requests })
})
afterAll(() => stack?.close())

/** The remote storage as alice, in ranges of 1 MiB, 4 at a time, journalled under a fresh folder. */
async function remoteStorage() {
  const journalDir = await temporaryFolder('assets-journals')
  const storage = createRemoteStorage({ url: stack.url, token: stack.tokens.alice, rangeSize: MiB, rangeConcurrency: 4, journalDir }, { allowInsecureStorage: true })
  return { storage, journalDir }
}

const contentGets = (key: string) => requests.filter((r) => r.startsWith(`GET /v1/content/${key}?`))

describe('downloads through the server in parallel ranges (@assets/remote)', () => {
  it('fetches a blob of several ranges with one GET per range, byte for byte', async () => {
    const bytes = randomBytes(9 * MiB + 123)
    const record = await putFile(stack, 'alice', 'datasets/ranged-whole', bytes)
    const { storage } = await remoteStorage()
    const dest = join(await temporaryFolder('assets-ranged'), 'whole.bin')
    requests.length = 0
    const result = await storage.scopedTo({ key: 'datasets/ranged-whole', version: record.version }).download(record.location, dest)
    expect(result).toEqual({ size: bytes.length, digest: digestOf(bytes) })
    expect((await readFile(dest)).equals(bytes)).toBe(true)
    // Ten ranges of 1 MiB: one GET each (the first one's answer also says the size and ETag), no HEAD.
    expect(contentGets('datasets/ranged-whole')).toHaveLength(10)
    expect(requests.filter((r) => r.startsWith('HEAD /v1/content/'))).toHaveLength(0)
    await storage.close()
  })

  it('resumes an interrupted download from its journal, fetching only the missing ranges', async () => {
    const bytes = randomBytes(12 * MiB)
    const record = await putFile(stack, 'alice', 'datasets/ranged-resume', bytes)
    const { storage, journalDir } = await remoteStorage()
    const content = storage.scopedTo({ key: 'datasets/ranged-resume', version: record.version })
    const dest = join(await temporaryFolder('assets-ranged'), 'resume.bin')
    const stop = new AbortController()
    let before = 0
    const onProgress = ({ bytes: done }: { bytes: number }) => {
      before = Math.max(before, done)
      if (done >= 5 * MiB) stop.abort(new Error('interrupted by the test'))
    }
    await expect(content.download(record.location, dest, { signal: stop.signal, onProgress })).rejects.toThrow('interrupted by the test')
    expect((await stat(dest)).size).toBeLessThan(bytes.length)
    expect(await readdir(journalDir)).toHaveLength(1)

    requests.length = 0
    let after = 0
    const result = await content.download(record.location, dest, { resume: true, onProgress: ({ bytes: done }) => (after = Math.max(after, done)) })
    expect(result.digest).toBe(digestOf(bytes))
    expect((await readFile(dest)).equals(bytes)).toBe(true)
    // Every byte came exactly once over the two calls: the journal vouched for the first call's.
    expect(before).toBeGreaterThanOrEqual(5 * MiB)
    expect(before + after).toBe(bytes.length)
    // A HEAD for the size and ETag, then a GET per range still missing (at most 7 of the 12).
    const gets = contentGets('datasets/ranged-resume')
    expect(requests.filter((r) => r.startsWith('HEAD /v1/content/datasets/ranged-resume?'))).toHaveLength(1)
    expect(gets.length).toBeGreaterThan(0)
    expect(gets.length).toBeLessThanOrEqual(12 - 5)
    expect(await readdir(journalDir)).toHaveLength(0)
    await storage.close()
  })

  it('goes on after its connections are cut, each range asking only for the bytes it lacks', async () => {
    const bytes = randomBytes(8 * MiB)
    const record = await putFile(stack, 'alice', 'datasets/ranged-cut', bytes)
    const proxy = await cuttingProxy(new URL(stack.url), { connections: 3, afterBytes: MiB / 2 })
    const storage = createRemoteStorage(
      { url: proxy.url, token: stack.tokens.alice, rangeSize: MiB, rangeConcurrency: 4, journalDir: await temporaryFolder('assets-journals') },
      { allowInsecureStorage: true },
    )
    const dest = join(await temporaryFolder('assets-ranged'), 'cut.bin')
    let written = 0
    requests.length = 0
    try {
      const result = await storage
        .scopedTo({ key: 'datasets/ranged-cut', version: record.version })
        .download(record.location, dest, { onProgress: ({ bytes: done }) => (written = done) })
      expect(proxy.cut()).toBe(3)
      expect(result.digest).toBe(digestOf(bytes))
      expect((await readFile(dest)).equals(bytes)).toBe(true)
      // No byte was written twice, and the cut ranges were asked for again (from where they stopped).
      expect(written).toBe(bytes.length)
      expect(contentGets('datasets/ranged-cut').length).toBeGreaterThanOrEqual(8 + 3)
    } finally {
      await storage.close()
      await proxy.close()
    }
  })

  it('refuses with INTEGRITY_ERROR a blob damaged in the server’s store', async () => {
    const bytes = randomBytes(3 * MiB + 7)
    const record = await putFile(stack, 'alice', 'datasets/ranged-damaged', bytes)
    const file = stack.manager.storage.localPath?.(blobLocation(digestOf(bytes)))
    if (file === undefined) throw new Error('the test stack stores blobs in a local folder')
    const damaged = Buffer.from(bytes)
    damaged.fill(0, MiB + 5, MiB + 4096)
    await chmod(file, 0o644)
    await writeFile(file, damaged)

    const { storage } = await remoteStorage()
    const dest = join(await temporaryFolder('assets-ranged'), 'damaged.bin')
    await expect(storage.scopedTo({ key: 'datasets/ranged-damaged', version: record.version }).download(record.location, dest)).rejects.toMatchObject({
      code: 'INTEGRITY_ERROR',
    })
    await expect(stat(dest)).rejects.toMatchObject({ code: 'ENOENT' })
    await storage.close()

    // The same through the manager and its cache (default ranges: one GET, which the server verifies).
    const home = await temporaryFolder('assets-client')
    const alice = await createAssetManager(AssetConfig.load({ env: clientEnv(stack, 'alice', home), cwd: home }), { importer: (specifier: string) => import(specifier) })
    await expect(alice.get('datasets/ranged-damaged')).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' })
    await alice.close()
  })

  it('answers If-Match: the content’s ETag serves the range, another is 412', async () => {
    const bytes = randomBytes(2048)
    const record = await putFile(stack, 'alice', 'datasets/ranged-if-match', bytes)
    const path = `/v1/content/datasets/ranged-if-match?ref=${record.version}`
    const etag = `"${digestOf(bytes)}"`
    const same = await stack.call('alice', path, { headers: { range: 'bytes=100-199', 'if-match': etag } })
    expect(same.status).toBe(206)
    expect(Buffer.from(await same.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true)
    const other = await stack.call('alice', path, { headers: { range: 'bytes=100-199', 'if-match': `"${digestOf(Buffer.from('other'))}"` } })
    expect(other.status).toBe(412)
    expect(await other.json()).toMatchObject({ error: { code: 'PRECONDITION_FAILED' } })
  })
})

/**
 * A relay to the server that cuts each of its first `connections` connections once it has
 * passed `afterBytes` of answer: a dropped link in the middle of a range, whatever the buffers hold.
 */
async function cuttingProxy(target: URL, options: { connections: number; afterBytes: number }) {
  let accepted = 0
  let cut = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    const doomed = ++accepted <= options.connections
    let relayed = 0
    client.pipe(upstream)
    upstream.on('data', (chunk: Buffer) => {
      if (!doomed || relayed + chunk.length < options.afterBytes) {
        relayed += chunk.length
        if (!client.write(chunk)) upstream.pause()
        return
      }
      client.write(chunk.subarray(0, options.afterBytes - relayed), () => client.destroy())
      relayed = options.afterBytes
      cut++
      upstream.destroy()
    })
    client.on('drain', () => upstream.resume())
    upstream.on('close', () => client.end())
    client.on('close', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => cut,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
