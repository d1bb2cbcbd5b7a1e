import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { AssetConfig, type BaseAssetManager, blobLocation, type ContentDigest, createAssetManager, digestHex } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CephRgw, startCephRgw } from '../../../plugins/storage-s3/test/fixtures/ceph-rgw.mjs'
import { userHash } from '../src/upload-area.js'
import { bodyOf, digestOf, JSON_HEADERS, putFile, registerFile } from './fixtures/content.js'
import { clientEnv, type ServerStack, startServerStack } from './fixtures/server-stack.js'

const importer = (specifier: string) => import(specifier)
const BUCKET = 'assets-presigned'
const requests: string[] = []
let rgw: CephRgw
let stack: ServerStack

/** The server's storage on the gateway, as the S3 plugin reads its variables. */
function s3Env(prefix: string): Record<string, string> {
  return {
    STORAGE_TYPE: 's3',
    S3_BUCKET: BUCKET,
    S3_PREFIX: prefix,
    S3_ENDPOINT_URL: rgw.endpoint,
    S3_REGION: rgw.region,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    // The gateway is plain http on 127.0.0.1: allowed here, explicitly.
    ALLOW_INSECURE_STORAGE: 'true',
  }
}

beforeAll(async () => {
  rgw = await startCephRgw()
  const env = { ...process.env, AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_DEFAULT_REGION: rgw.region }
  await promisify(execFile)('aws', ['--endpoint-url', rgw.endpoint, 's3', 'mb', `s3://${BUCKET}`], { env })
  stack = await startServerStack({ env: s3Env('verified'), requestLog: requests })
}, 180_000)
afterAll(async () => {
  await stack?.close()
  await rgw?.stop()
})

async function post(s: ServerStack, user: string, path: string, body: unknown): Promise<Response> {
  return s.call(user, path, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) })
}

/** Sends `body` with a presigned request, as any HTTP client would: its URL, its headers, nothing else. */
async function sendPresigned(presigned: { url: string; method: string; headers: Record<string, string> }, body?: Buffer): Promise<{ status: number; text: string }> {
  const response = await fetch(presigned.url, { method: presigned.method, headers: presigned.headers, body })
  return { status: response.status, text: await response.text() }
}

function stagedOf(user: string, uploadId: string, digest: ContentDigest): string {
  return `staging/presigned/${userHash(user)}/${uploadId}.${digestHex(digest)}`
}

function receiptOf(user: string, digest: ContentDigest): string {
  return `staging/receipts/${userHash(user)}/${digestHex(digest)}`
}

async function presignPut(s: ServerStack, user: string, bytes: Buffer) {
  const response = await post(s, user, '/v1/presign', { method: 'PUT', digest: digestOf(bytes), size: bytes.length })
  expect(response.status).toBe(200)
  return bodyOf(response)
}

describe('presigned transfers through the server, on the Ceph RADOS Gateway', () => {
  it('presigns a GET of a readable version’s blob, and not of one the token cannot read', async () => {
    const bytes = randomBytes(200_000)
    await putFile(stack, 'alice', 'datasets/presigned-private', bytes, { accessControl: { owner: 'user:alice', read: [], write: [], admin: [] } })
    const presigned = await bodyOf(await post(stack, 'alice', '/v1/presign', { method: 'GET', key: 'datasets/presigned-private' }))
    expect(presigned).toMatchObject({ method: 'GET', location: blobLocation(digestOf(bytes)), size: bytes.length, digest: digestOf(bytes) })
    const response = await fetch(presigned.url, { headers: presigned.headers })
    expect(response.status).toBe(200)
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true)

    const refused = await post(stack, 'bob', '/v1/presign', { method: 'GET', key: 'datasets/presigned-private' })
    expect(refused.status).toBe(404)
    expect((await bodyOf(refused)).error.code).toBe('ASSET_NOT_FOUND')
  })

  it('uploads through a presigned PUT: register needs the completion, then serves the same bytes', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17)
    const digest = digestOf(bytes)
    const presigned = await presignPut(stack, 'alice', bytes)
    expect(presigned).toMatchObject({ method: 'PUT', verified: true, location: blobLocation(digest) })
    expect(presigned.uploadId).toMatch(/^[0-9a-f]{32}$/)
    // The URL writes the user's staging object, never the content address itself.
    expect(presigned.url).not.toContain('blobs/')
    expect(presigned.url).toContain(`staging/presigned/${userHash('alice')}/`)
    expect((await sendPresigned(presigned, bytes)).status).toBe(200)

    // The bytes are in the bucket, but not yet this user's: nothing can be registered from them.
    const early = await registerFile(stack, 'alice', 'datasets/presigned-put', bytes)
    expect(early.status).toBe(422)
    expect((await bodyOf(early)).error.code).toBe('INTEGRITY_ERROR')

    const completed = await post(stack, 'alice', '/v1/presign/complete', { uploadId: presigned.uploadId, digest, size: bytes.length })
    expect(completed.status).toBe(200)
    expect(await bodyOf(completed)).toEqual({ stored: true, location: blobLocation(digest), digest, size: bytes.length })
    const storage = stack.manager.storage
    expect(await storage.stat(stagedOf('alice', presigned.uploadId, digest))).toBeNull()
    expect(await storage.stat(receiptOf('alice', digest))).not.toBeNull()
    expect((await storage.stat(blobLocation(digest)))?.size).toBe(bytes.length)

    const registered = await registerFile(stack, 'alice', 'datasets/presigned-put', bytes)
    expect(registered.status).toBe(201)
    const served = await stack.call('alice', '/v1/content/datasets/presigned-put?ref=latest')
    expect(served.status).toBe(200)
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true)
  })

  it('the gateway refuses other bytes at the URL; completing then fails and leaves nothing', async () => {
    const bytes = randomBytes(100_000)
    const digest = digestOf(bytes)
    const presigned = await presignPut(stack, 'alice', bytes)
    const other = randomBytes(bytes.length)
    const refused = await sendPresigned(presigned, other)
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('XAmzContentSHA256Mismatch')
    // Another length fails at the signed Content-Length.
    expect((await sendPresigned(presigned, bytes.subarray(1))).status).toBeGreaterThanOrEqual(400)

    const completed = await post(stack, 'alice', '/v1/presign/complete', { uploadId: presigned.uploadId, digest, size: bytes.length })
    expect(completed.status).toBe(404)
    expect((await bodyOf(completed)).error).toMatchObject({ code: 'ASSET_NOT_FOUND', message: expect.stringContaining('PUT the bytes to its URL first') })
    const storage = stack.manager.storage
    expect(await storage.stat(stagedOf('alice', presigned.uploadId, digest))).toBeNull()
    expect(await storage.stat(receiptOf('alice', digest))).toBeNull()
    expect(await storage.stat(blobLocation(digest))).toBeNull()
    expect((await registerFile(stack, 'alice', 'datasets/presigned-refused', bytes)).status).toBe(422)
  })

  it('one user cannot complete another’s upload, nor claim other bytes for it', async () => {
    const bytes = randomBytes(50_000)
    const digest = digestOf(bytes)
    const presigned = await presignPut(stack, 'alice', bytes)
    expect((await sendPresigned(presigned, bytes)).status).toBe(200)

    const stolen = await post(stack, 'bob', '/v1/presign/complete', { uploadId: presigned.uploadId, digest, size: bytes.length })
    expect(stolen.status).toBe(404)
    // Alice's upload named one digest: completing it as another finds nothing either.
    const otherDigest = digestOf(randomBytes(10))
    expect((await post(stack, 'alice', '/v1/presign/complete', { uploadId: presigned.uploadId, digest: otherDigest, size: bytes.length })).status).toBe(404)
    const storage = stack.manager.storage
    expect(await storage.stat(receiptOf('bob', digest))).toBeNull()
    expect(await storage.stat(blobLocation(digest))).toBeNull()
    expect((await registerFile(stack, 'bob', 'datasets/bob-stole', bytes)).status).toBe(422)

    // Alice's upload is untouched by those attempts.
    expect(await storage.stat(stagedOf('alice', presigned.uploadId, digest))).not.toBeNull()
    expect((await post(stack, 'alice', '/v1/presign/complete', { uploadId: presigned.uploadId, digest, size: bytes.length })).status).toBe(200)
    // Bob still has sent nothing: the blob is stored now, but not his to register.
    expect((await registerFile(stack, 'bob', 'datasets/bob-stole', bytes)).status).toBe(422)
    expect((await registerFile(stack, 'alice', 'datasets/alice-sent', bytes)).status).toBe(201)
  })

  it('completing before uploading, or with a wrong size, fails cleanly', async () => {
    const bytes = randomBytes(10_000)
    const digest = digestOf(bytes)
    const presigned = await presignPut(stack, 'alice', bytes)
    const early = await post(stack, 'alice', '/v1/presign/complete', { uploadId: presigned.uploadId, digest, size: bytes.length })
    expect(early.status).toBe(404)
    expect((await bodyOf(early)).error.code).toBe('ASSET_NOT_FOUND')
    expect((await post(stack, 'alice', '/v1/presign/complete', { uploadId: 'not-an-id', digest, size: bytes.length })).status).toBe(400)

    expect((await sendPresigned(presigned, bytes)).status).toBe(200)
    const wrongSize = await post(stack, 'alice', '/v1/presign/complete', { uploadId: presigned.uploadId, digest, size: bytes.length + 1 })
    expect(wrongSize.status).toBe(422)
    expect((await bodyOf(wrongSize)).error.code).toBe('INTEGRITY_ERROR')
    const storage = stack.manager.storage
    expect(await storage.stat(stagedOf('alice', presigned.uploadId, digest))).toBeNull()
    expect(await storage.stat(receiptOf('alice', digest))).toBeNull()
  })

  it('refuses a presigned PUT of more than 5 GiB, or without its digest and size', async () => {
    const huge = await post(stack, 'alice', '/v1/presign', { method: 'PUT', digest: digestOf(Buffer.from('x')), size: 5 * 1024 ** 3 + 1 })
    expect(huge.status).toBe(501)
    expect((await bodyOf(huge)).error).toMatchObject({ code: 'UNSUPPORTED_OPERATION', message: expect.stringContaining('upload through the server') })
    const bare = await post(stack, 'alice', '/v1/presign', { method: 'PUT', size: 10 })
    expect(bare.status).toBe(400)
    expect((await bodyOf(bare)).error.code).toBe('INVALID_INPUT')
    expect((await post(stack, 'alice', '/v1/presign', { method: 'PUT', digest: digestOf(Buffer.from('x')), size: 1 }).then((r) => r.status))).toBe(200)
    const anonymous = await stack.call(undefined, '/v1/presign', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ method: 'PUT', digest: digestOf(Buffer.from('x')), size: 1 }) })
    expect(anonymous.status).toBe(401)
  })

  it('hashes the staged bytes itself when the store does not check a signed payload', async () => {
    // A store whose gateway may not check the payload hash (option presignedPayloadCheck: false):
    // bytes placed at the staging object by other means must not become the blob.
    const home = await temporaryFolder('assets-server-unverified')
    const config = join(home, 'config.yaml')
    await writeFile(config, 'storage:\n  type: s3\n  presignedPayloadCheck: false\n')
    const unverified = await startServerStack({ env: { ...s3Env('unverified'), CONFIG_PATH: config }, home })
    try {
      const bytes = randomBytes(64_000)
      const digest = digestOf(bytes)
      const presigned = await presignPut(unverified, 'alice', bytes)
      expect(presigned.verified).toBe(false)
      const staged = stagedOf('alice', presigned.uploadId, digest)
      const storage = unverified.manager.storage
      await storage.upload(staged, (async function* () {
        yield randomBytes(bytes.length)
      })())
      const forged = await post(unverified, 'alice', '/v1/presign/complete', { uploadId: presigned.uploadId, digest, size: bytes.length })
      expect(forged.status).toBe(422)
      expect((await bodyOf(forged)).error.code).toBe('INTEGRITY_ERROR')
      expect(await storage.stat(staged)).toBeNull()
      expect(await storage.stat(blobLocation(digest))).toBeNull()
      expect(await storage.stat(receiptOf('alice', digest))).toBeNull()

      // The right bytes, through the URL, are hashed and adopted.
      const again = await presignPut(unverified, 'alice', bytes)
      expect((await sendPresigned(again, bytes)).status).toBe(200)
      expect((await post(unverified, 'alice', '/v1/presign/complete', { uploadId: again.uploadId, digest, size: bytes.length })).status).toBe(200)
      expect((await registerFile(unverified, 'alice', 'datasets/unverified', bytes)).status).toBe(201)
    } finally {
      await unverified.close()
    }
  })

  it('the remote client puts and gets through presigned URLs (ASSETS_TRANSFER=presigned)', async () => {
    const home = await temporaryFolder('assets-client')
    const alice = await createAssetManager(AssetConfig.load({ env: { ...clientEnv(stack, 'alice', home), ASSETS_TRANSFER: 'presigned' }, cwd: home }), { importer })
    try {
      const source = join(await temporaryFolder('assets-source'), 'weights.bin')
      const bytes = randomBytes(2 * 1024 * 1024 + 5)
      await writeFile(source, bytes)
      const folder = join(await temporaryFolder('assets-folder'), 'store.zarr')
      await mkdir(join(folder, 'X'), { recursive: true })
      await writeFile(join(folder, '.zgroup'), '{"zarr_format": 2}')
      await writeFile(join(folder, 'X', '0.0'), randomBytes(70_000))
      requests.length = 0
      await alice.put('models/presigned-weights', source, {}, { kind: 'model' })
      await alice.put('datasets/presigned-zarr', folder, {}, { kind: 'dataset' })
      expect(requests.filter((r) => r === 'POST /v1/presign/complete')).toHaveLength(4) // the file, two files and the manifest
      expect(requests.some((r) => r.startsWith('PUT /v1/blobs/'))).toBe(false)

      const reader = await createAssetManager(AssetConfig.load({ env: { ...clientEnv(stack, 'alice', await temporaryFolder('assets-client')), ASSETS_TRANSFER: 'presigned' }, cwd: home }), { importer })
      try {
        requests.length = 0
        expect((await readFile(await reader.get('models/presigned-weights'))).equals(bytes)).toBe(true)
        const got = await reader.get('datasets/presigned-zarr')
        expect(await readFile(join(got, 'X', '0.0'))).toEqual(await readFile(join(folder, 'X', '0.0')))
        expect(requests.filter((r) => r === 'POST /v1/presign').length).toBeGreaterThanOrEqual(3)
        expect(requests.some((r) => r.startsWith('GET /v1/content/models/presigned-weights'))).toBe(false)
      } finally {
        await reader.close()
      }
    } finally {
      await alice.close()
    }
  })

  it('the remote client checks what a presigned GET brings against the digest', async () => {
    const bytes = randomBytes(40_000)
    await putFile(stack, 'alice', 'datasets/presigned-damaged', bytes)
    // Damage behind the server's back: the same length, other bytes, at the content address.
    await stack.manager.storage.upload(blobLocation(digestOf(bytes)), (async function* () {
      yield randomBytes(bytes.length)
    })())
    const home = await temporaryFolder('assets-client')
    const reader = await createAssetManager(AssetConfig.load({ env: { ...clientEnv(stack, 'alice', home), ASSETS_TRANSFER: 'presigned' }, cwd: home }), { importer })
    try {
      requests.length = 0
      await expect(reader.get('datasets/presigned-damaged')).rejects.toMatchObject({ code: 'INTEGRITY_ERROR' })
      expect(requests).toContain('POST /v1/presign')
    } finally {
      await reader.close()
    }
  })

  it('the remote client moves the bytes through a server that offers no presigned URLs', async () => {
    const log: string[] = []
    const local = await startServerStack({ requestLog: log })
    const home = await temporaryFolder('assets-client')
    const alice = await createAssetManager(AssetConfig.load({ env: { ...clientEnv(local, 'alice', home), ASSETS_TRANSFER: 'presigned' }, cwd: home }), { importer })
    let reader: BaseAssetManager | undefined
    try {
      const source = join(await temporaryFolder('assets-source'), 'a.bin')
      await writeFile(source, 'through the server')
      await alice.put('datasets/fallback', source, {}, { kind: 'dataset' })
      expect(log).toContain('POST /v1/presign')
      expect(log.some((r) => r.startsWith('PUT /v1/blobs/'))).toBe(true)
      // A reader with an empty cache downloads: through the server too.
      const readerHome = await temporaryFolder('assets-client')
      reader = await createAssetManager(AssetConfig.load({ env: { ...clientEnv(local, 'alice', readerHome), ASSETS_TRANSFER: 'presigned' }, cwd: readerHome }), { importer })
      expect(await readFile(await reader.get('datasets/fallback'), 'utf8')).toBe('through the server')
      expect(log.some((r) => r.startsWith('GET /v1/content/datasets/fallback'))).toBe(true)
    } finally {
      await reader?.close()
      await alice.close()
      await local.close()
    }
  })
})
