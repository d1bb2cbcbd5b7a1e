import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { BaseAssetManager, createReferenceReaders, type ReferenceReaders, sha256 } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomPrefix, rawClient, server } from './fixtures/s3-server.js'
import { startTamperProxy, type TamperProxy } from './fixtures/tamper-proxy.js'

// References registered with a HEAD only (hash: false), read through core's reference readers
// (this plugin, loaded by name): the pin is checked on every read, the first full read records
// the sha256, and from then on bytes that hash otherwise are refused even when size and ETag
// match. The tamper proxy serves such bytes: a mirror whose content is not the registered one.
const client = rawClient()
const bucket = randomPrefix('refs')
let proxy: TamperProxy
let folder: string
let readers: ReferenceReaders
let manager: BaseAssetManager

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  proxy = await startTamperProxy(server().endpoint)
  folder = await temporaryFolder('s3-reference-pin')
  const s = server()
  // Keys for the proxy's endpoint only: a reference naming another endpoint is read unsigned.
  const env = { AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey, S3_ENDPOINT_URL: proxy.endpoint, S3_REGION: s.region }
  const context = { dataDir: folder, cacheDir: join(folder, 'cache'), allowInsecureStorage: true, logger: { warn: () => {} }, env }
  readers = createReferenceReaders(context, { importer: (specifier) => import(specifier) })
  // The store itself is a bucket prefix too; references are read by the readers, not by it.
  const { testStorage } = await import('./fixtures/s3-server.js')
  manager = new BaseAssetManager(
    { storage: await testStorage(), registry: createSqliteRegistry({ path: join(folder, 'registry.db') }), cache: null, scratchDir: join(folder, 'scratch'), referenceReaders: readers },
    { user: 'alice', roles: ['admin'] },
  )
})

afterAll(async () => {
  await manager.close()
  await proxy.close()
  client.destroy()
  await rm(folder, { recursive: true, force: true })
})

async function object(key: string, body: Uint8Array): Promise<string> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
  return `s3://${bucket}/${key}`
}

describe('references registered without reading them', () => {
  it('registers with one HEAD and a pin digest; the first get records the sha256, audited once', async () => {
    const bytes = randomBytes(200_000)
    const uri = await object('a/first.h5ad', bytes)
    const before = { ...proxy.counts }
    const put = await manager.putReference('refs/first', uri, { tissue: 'lung' }, { kind: 'dataset', hash: false, endpoint: proxy.endpoint })
    expect(put.digest).toMatch(/^pin:[0-9a-f]{64}$/)
    expect(put.metadata.externalReference).toMatchObject({ uri, reader: 's3', endpoint: proxy.endpoint, etag: expect.stringMatching(/^".+"$/) })
    expect({ HEAD: (proxy.counts.HEAD ?? 0) - (before.HEAD ?? 0), GET: (proxy.counts.GET ?? 0) - (before.GET ?? 0) }).toEqual({ HEAD: 1, GET: 0 })
    // The same object again is no new version.
    expect((await manager.putReference('refs/first', uri, { tissue: 'lung' }, { kind: 'dataset', hash: false, endpoint: proxy.endpoint })).created).toBe(false)

    const path = await manager.get('refs/first')
    expect((await readFile(path)).equals(bytes)).toBe(true)
    expect((await manager.getMetadata('refs/first')).digest).toBe(sha256(bytes))
    // Registered again after its digest was recorded: still the same version.
    const again = await manager.putReference('refs/first', uri, { tissue: 'lung' }, { kind: 'dataset', hash: false, endpoint: proxy.endpoint })
    expect(again).toMatchObject({ created: false, version: '1.0.0', digest: sha256(bytes) })
    expect((await manager.audit({ key: 'refs/first' })).filter((e) => e.action === 'record-digest')).toHaveLength(1)
  })

  it('after the first read, bytes with the same size and ETag but another sha256 fail every get', async () => {
    const bytes = randomBytes(150_000)
    const uri = await object('a/tampered.h5ad', bytes)
    await manager.putReference('refs/tampered', uri, {}, { hash: false, endpoint: proxy.endpoint })
    await manager.get('refs/tampered')
    proxy.tamper(true)
    try {
      await expect(manager.get('refs/tampered')).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' })
      const stream = await manager.stream('refs/tampered')
      await expect((async () => { for await (const _ of stream) { /* drain */ } })()).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' })
    } finally {
      proxy.tamper(false)
    }
    expect((await manager.getMetadata('refs/tampered')).digest).toBe(sha256(bytes))
  })

  it('a whole stream and a deep verify record the digest too; a changed object fails the pin check', async () => {
    const bytes = randomBytes(90_000)
    const uri = await object('a/streamed.h5ad', bytes)
    await manager.putReference('refs/streamed', uri, {}, { hash: false, endpoint: proxy.endpoint })
    const chunks: Uint8Array[] = []
    for await (const chunk of await manager.stream('refs/streamed')) chunks.push(chunk)
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true)
    expect((await manager.getMetadata('refs/streamed')).digest).toBe(sha256(bytes))

    const other = randomBytes(80_000)
    const verified = await object('a/verified.h5ad', other)
    await manager.putReference('refs/verified', verified, {}, { hash: false, endpoint: proxy.endpoint })
    expect((await manager.verify('refs/verified')).problems).toEqual([])
    expect((await manager.getMetadata('refs/verified')).digest).toBe(sha256(other))

    await object('a/verified.h5ad', randomBytes(80_000))
    expect((await manager.verify('refs/verified')).problems).toEqual([expect.objectContaining({ message: expect.stringMatching(/changed underneath/) })])
    await expect(manager.get('refs/verified')).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' })
  })

  it('concurrent first gets agree: one digest recorded, both get the bytes', async () => {
    const bytes = randomBytes(120_000)
    const uri = await object('a/raced.h5ad', bytes)
    await manager.putReference('refs/raced', uri, {}, { hash: false, endpoint: proxy.endpoint })
    const paths = await Promise.all([manager.get('refs/raced'), manager.get('refs/raced'), manager.get('refs/raced')])
    for (const p of paths) expect((await readFile(p)).equals(bytes)).toBe(true)
    expect((await manager.audit({ key: 'refs/raced' })).filter((e) => e.action === 'record-digest')).toHaveLength(1)
  })

  it('keys are sent only to the endpoint they were given for: another endpoint is read unsigned', async () => {
    const uri = await object('a/private.h5ad', randomBytes(1000))
    // The gateway itself, not the proxy: S3_ENDPOINT_URL names the proxy, so no keys go there,
    // and the bucket is not public.
    await expect(manager.putReference('refs/private', uri, {}, { hash: false, endpoint: server().endpoint })).rejects.toMatchObject({ code: 'ACCESS_DENIED' })
  })

  it('without a reader (no endpoint, no reader: s3), registering without hashing is refused: the store\'s own stat would skip its bucket allow-list', async () => {
    const uri = await object('a/no-reader.h5ad', randomBytes(1000))
    const before = { ...proxy.counts }
    await expect(manager.putReference('refs/no-reader', uri, {}, { hash: false })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/needs a reference reader/) })
    expect(proxy.counts).toEqual(before)
    await expect(manager.getMetadata('refs/no-reader')).rejects.toMatchObject({ code: 'ASSET_NOT_FOUND' })
  })

  it('an endpoint carrying credentials or a query is refused before any request', async () => {
    const uri = `s3://${bucket}/a/first.h5ad`
    await expect(manager.putReference('refs/bad', uri, {}, { hash: false, endpoint: 'http://user:pw@127.0.0.1:1' })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(manager.putReference('refs/bad', uri, {}, { hash: false, endpoint: 'http://127.0.0.1:1/?X-Amz-Signature=x' })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})
