import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateBucketCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { BaseAssetManager, sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import type { S3Storage } from '../src/index.js'
import { randomPrefix, rawClient, server, testStorage } from './fixtures/s3-server.js'

const client = rawClient()
const foreign = randomPrefix('lab')
const MiB = 1024 * 1024
let storage: S3Storage
let manager: BaseAssetManager
let folder: string

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: foreign }))
  storage = await testStorage({ referenceBuckets: [server().bucket, foreign] })
  folder = await temporaryFolder('s3-reference')
  manager = new BaseAssetManager(
    { storage, registry: createSqliteRegistry({ path: join(folder, 'registry.db') }), cache: null, scratchDir: join(folder, 'scratch') },
    { user: 'alice', roles: ['admin'] },
  )
})

afterAll(async () => {
  await manager.close()
  client.destroy()
  await rm(folder, { recursive: true, force: true })
})

async function putForeign(key: string, body: Uint8Array): Promise<string> {
  await client.send(new PutObjectCommand({ Bucket: foreign, Key: key, Body: body }))
  return `s3://${foreign}/${key}`
}

describe('objects registered by reference in someone else’s bucket', () => {
  it('describeExternal stats and hashes an object in one read', async () => {
    const bytes = randomBytes(300_000)
    const uri = await putForeign('datasets/described.h5ad', bytes)
    const before = storage.stats.bytesReceived
    const described = await storage.describeExternal(uri)
    expect(described).toMatchObject({ location: uri, size: bytes.length, digest: sha256(bytes) })
    expect(described.etag).toMatch(/^".+"$/)
    expect(storage.stats.bytesReceived - before).toBe(bytes.length)
    await expect(storage.describeExternal(`s3://${foreign}/datasets/missing.h5ad`)).rejects.toMatchObject({ code: 'ASSET_NOT_FOUND' })
    await expect(storage.describeExternal('s3://Not_A_Bucket/x')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(storage.describeExternal('https://example.org/x.h5ad')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('only buckets the store allows can be registered by reference, whatever the credentials can read', async () => {
    const uri = await putForeign('datasets/not-allowed.h5ad', randomBytes(100))
    const strict = await testStorage()
    try {
      await expect(strict.describeExternal(uri)).rejects.toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringMatching(/referenceBuckets/) })
    } finally {
      await strict.close()
    }
  })

  it('the manager registers it without copying, serves it, and gc leaves it alone', async () => {
    const bytes = randomBytes(11 * MiB + 9)
    const uri = await putForeign('datasets/x.h5ad', bytes)
    const record = await manager.putReference('datasets/x', uri, { tissue: 'lung' }, { kind: 'dataset' })
    expect(record).toMatchObject({ location: uri, digest: sha256(bytes), size: bytes.length })
    expect(record.metadata.externalReference).toMatchObject({ uri, etag: (await storage.stat(uri))?.etag })
    const blobs: string[] = []
    for await (const o of storage.list('blobs/')) blobs.push(o.location)
    expect(blobs).toEqual([])
    expect((await readFile(await manager.get('datasets/x'))).equals(bytes)).toBe(true)
    expect((await manager.verify('datasets/x')).problems).toEqual([])
    const report = await manager.gc({ now: new Date(Date.now() + 86_400_000), graceSeconds: 0 })
    expect(report.removedObjects).toEqual([])
    expect(await storage.stat(uri)).toMatchObject({ size: bytes.length })
  })

  it('get and verify raise IntegrityError when the object changed underneath since it was registered', async () => {
    const uri = await putForeign('datasets/changing.csv', Buffer.from('a,b\n1,2\n'))
    await manager.putReference('datasets/changing', uri)
    await putForeign('datasets/changing.csv', Buffer.from('a,b\n9,9\n'))
    await expect(manager.get('datasets/changing')).rejects.toMatchObject({
      code: 'INTEGRITY_ERROR',
      message: expect.stringMatching(/changed underneath since it was registered/),
    })
    const report = await manager.verify('datasets/changing', { deep: false })
    expect(report.problems.map((p) => p.message)).toEqual([expect.stringMatching(/changed underneath since it was registered/)])
  })

  it('an object inside the store’s own prefix is recorded as a store location, which gc keeps', async () => {
    const bytes = randomBytes(2000)
    await client.send(new PutObjectCommand({ Bucket: storage.bucket, Key: `${storage.prefix}blobs/imported/y.csv`, Body: bytes }))
    const record = await manager.putReference('tables/y', `s3://${storage.bucket}/${storage.prefix}blobs/imported/y.csv`)
    expect(record.location).toBe('blobs/imported/y.csv')
    const report = await manager.gc({ now: new Date(Date.now() + 86_400_000), graceSeconds: 0 })
    expect(report.removedObjects).not.toContain('blobs/imported/y.csv')
    expect((await readFile(await manager.get('tables/y'))).equals(bytes)).toBe(true)
  })
})

describe('the manager’s gc', () => {
  it('aborts multipart uploads abandoned before its grace period, and only those', async () => {
    const key = `${storage.prefix}blobs/sha256/cd/abandoned`
    await client.send(new CreateMultipartUploadCommand({ Bucket: storage.bucket, Key: key }))
    const recent = await manager.gc({ graceSeconds: 3600 })
    expect(recent.abortedUploads).toEqual([])
    const report = await manager.gc({ now: new Date(Date.now() + 86_400_000), graceSeconds: 60 })
    expect(report.abortedUploads).toEqual(['blobs/sha256/cd/abandoned'])
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: storage.prefix }))
    expect(open.Uploads ?? []).toEqual([])
  })

  it('keeps uploads outside the store’s own folders, and uploads that received a part within the grace period', async () => {
    const otherApp = `${storage.prefix}exports/big.parquet`
    const other = await client.send(new CreateMultipartUploadCommand({ Bucket: storage.bucket, Key: otherApp }))
    const activeKey = `${storage.prefix}blobs/sha256/ef/active`
    const started = Date.now()
    const active = await client.send(new CreateMultipartUploadCommand({ Bucket: storage.bucket, Key: activeKey }))
    // Started before the cutoff, but it sent a part after it: a long upload still running.
    // (Seconds apart: S3 dates may have whole-second precision.)
    await new Promise((resolve) => setTimeout(resolve, 2500))
    await client.send(new UploadPartCommand({ Bucket: storage.bucket, Key: activeKey, UploadId: active.UploadId, PartNumber: 1, Body: randomBytes(1024) }))
    const report = await manager.gc({ now: new Date(started + 1200), graceSeconds: 0 })
    expect(report.abortedUploads).toEqual([])
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: storage.bucket, Prefix: storage.prefix }))
    expect((open.Uploads ?? []).map((u) => u.UploadId).sort()).toEqual([other.UploadId, active.UploadId].sort())
  })
})
