import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { blobLocation } from '@assets/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CephRgw, startCephRgw } from '../../../plugins/storage-s3/test/fixtures/ceph-rgw.mjs'
import { digestOf } from './fixtures/content.js'
import { type ServerStack, startServerStack } from './fixtures/server-stack.js'
import { openUpload, resumeUpload, sha256OfObject, settledOffset, untilTrue } from './fixtures/upload-client.js'

// A whole upload goes to S3 while it arrives, as a multipart upload that is completed only for
// the verified blob and aborted otherwise.
const BUCKET = 'assets-pipeline'
const PREFIX = 'pipeline'
const MiB = 1024 * 1024
let rgw: CephRgw
let stack: ServerStack
let awsEnv: NodeJS.ProcessEnv

beforeAll(async () => {
  rgw = await startCephRgw()
  awsEnv = { ...process.env, AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_DEFAULT_REGION: rgw.region }
  await promisify(execFile)('aws', ['--endpoint-url', rgw.endpoint, 's3', 'mb', `s3://${BUCKET}`], { env: awsEnv })
  stack = await startServerStack({
    env: {
      STORAGE_TYPE: 's3',
      S3_BUCKET: BUCKET,
      S3_PREFIX: PREFIX,
      S3_ENDPOINT_URL: rgw.endpoint,
      S3_REGION: rgw.region,
      AWS_ACCESS_KEY_ID: rgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      // The gateway is plain http on 127.0.0.1: allowed here, explicitly.
      ALLOW_INSECURE_STORAGE: 'true',
    },
  })
  // The gateway makes its multipart pool at the first multipart upload, which takes seconds: long
  // enough for a fed upload to give the store up (STORE_FEED_STALL_MS). Made here, before the tests.
  await stack.manager.storage.upload('warm-up.bin', (async function* () {
    for (let i = 0; i < 3; i++) yield randomBytes(8 * MiB)
  })())
  await stack.manager.storage.delete('warm-up.bin')
}, 180_000)
afterAll(async () => {
  await stack?.close()
  await rgw?.stop()
})

/** The keys of the multipart uploads open in the bucket, as the gateway lists them (ListMultipartUploads). */
async function openMultipartUploads(): Promise<string[]> {
  const { stdout } = await promisify(execFile)('aws', ['--endpoint-url', rgw.endpoint, 's3api', 'list-multipart-uploads', '--bucket', BUCKET, '--prefix', PREFIX, '--output', 'json'], {
    env: awsEnv,
  })
  if (stdout.trim() === '') return []
  return ((JSON.parse(stdout) as { Uploads?: Array<{ Key: string }> }).Uploads ?? []).map((upload) => upload.Key)
}

const token = () => stack.tokens.alice as string
// More than two of the plugin's default 8 MiB parts: the multipart upload starts mid-body.
const BLOB_BYTES = 24 * MiB
const HALF = 20 * MiB

describe('an upload fed to S3 while it arrives, on the Ceph RADOS Gateway', () => {
  it('opens the multipart upload before the body has ended, and completes it with exactly the blob', async () => {
    const bytes = randomBytes(BLOB_BYTES)
    const location = blobLocation(digestOf(bytes))
    const upload = await openUpload(stack.url, token(), location, bytes, HALF)
    expect(await untilTrue(async () => (await openMultipartUploads()).some((key) => key.endsWith(location)), 4000)).toBe(true)
    expect(await stack.manager.storage.stat(location)).toBeNull()
    const response = await upload.finish()
    expect(response.status, response.body).toBe(201)
    expect(await sha256OfObject(stack.manager.storage, location)).toBe(digestOf(bytes))
    expect(await openMultipartUploads()).toEqual([])
  })

  it('aborts the multipart upload of bytes that are not the ones the location names, storing nothing', async () => {
    const bytes = randomBytes(BLOB_BYTES)
    const location = blobLocation(digestOf(randomBytes(16)))
    const upload = await openUpload(stack.url, token(), location, bytes, HALF)
    expect(await untilTrue(async () => (await openMultipartUploads()).some((key) => key.endsWith(location)), 4000)).toBe(true)
    const response = await upload.finish()
    expect(response.status).toBe(422)
    expect(JSON.parse(response.body).error.code).toBe('INTEGRITY_ERROR')
    expect(await stack.manager.storage.stat(location)).toBeNull()
    expect(await openMultipartUploads()).toEqual([])
  })

  it('aborts the multipart upload of a dropped connection, and the resumed upload stores the blob', async () => {
    const bytes = randomBytes(BLOB_BYTES)
    const location = blobLocation(digestOf(bytes))
    const upload = await openUpload(stack.url, token(), location, bytes, HALF)
    expect(await untilTrue(async () => (await openMultipartUploads()).some((key) => key.endsWith(location)), 4000)).toBe(true)
    await upload.drop()
    const offset = await settledOffset(stack.url, token(), location)
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThanOrEqual(HALF)
    expect(await stack.manager.storage.stat(location)).toBeNull()
    expect(await openMultipartUploads()).toEqual([])
    const rest = await resumeUpload(stack.url, token(), location, bytes, offset)
    expect(rest.status, await rest.clone().text()).toBe(201)
    expect(await sha256OfObject(stack.manager.storage, location)).toBe(digestOf(bytes))
    expect(await openMultipartUploads()).toEqual([])
  })
})
