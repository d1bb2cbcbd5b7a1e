import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inspect, promisify } from 'node:util'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { AssetError, blobLocation, digestHex, type PresignedRequest, redactSecrets, sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { describe, expect, it } from 'vitest'
import { createS3Storage, type S3StorageOptions, toAssetError } from '../src/index.js'
import { createBucket, randomPrefix, rawClient, readAll, server, testOptions, testStorage } from './fixtures/s3-server.js'

const run = promisify(execFile)

/** curl, as a client that is not ours: prints the status, writes the body to `out`. */
async function curl(presigned: PresignedRequest, out: string, extra: string[] = [], url = presigned.url): Promise<number> {
  const headers = Object.entries(presigned.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`])
  const { stdout } = await run('/usr/bin/curl', ['-sS', '--path-as-is', '-o', out, '-w', '%{http_code}', '-X', presigned.method, ...headers, ...extra, url])
  return Number(stdout)
}

// Python's standard library alone, the way a benchmark harness would use the URL.
const URLLIB = `
import json, sys, urllib.request, urllib.error
method, url, headers, path = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
data = open(path, 'rb').read() if method == 'PUT' else None
request = urllib.request.Request(url, data=data, method=method, headers=headers)
try:
    with urllib.request.urlopen(request) as response:
        body, status = response.read(), response.status
except urllib.error.HTTPError as error:
    body, status = error.read(), error.code
if method == 'GET':
    open(path, 'wb').write(body)
print(status)
`

async function urllib(presigned: PresignedRequest, path: string): Promise<number> {
  const { stdout } = await run('/usr/bin/python3', ['-c', URLLIB, presigned.method, presigned.url, JSON.stringify(presigned.headers), path])
  return Number(stdout.trim())
}

/** Everything an error could show: message, stack, causes, and the SDK's fields. */
function everything(error: unknown): string {
  return `${inspect(error, { depth: 12, showHidden: true })}\n${JSON.stringify(error)}\n${String((error as Error).stack)}`
}

async function storageWithLog(overrides: Partial<S3StorageOptions> = {}) {
  const warnings: string[] = []
  const journalDir = await temporaryFolder('s3-journal')
  const storage = createS3Storage({ journalDir, ...testOptions(overrides) }, { allowInsecureStorage: true, logger: { warn: (m) => warnings.push(m) } })
  return { storage, warnings }
}

describe('presigned GET', () => {
  it('curl and python urllib download the object with the URL alone, whole and by Range', async () => {
    const storage = await testStorage()
    const folder = await temporaryFolder('s3-presign')
    const bytes = randomBytes(3 * 1024 * 1024 + 17)
    await storage.upload('blobs/a.bin', (async function* () {
      yield bytes
    })())
    const presigned = await storage.presign('blobs/a.bin', { method: 'GET', expiresInSeconds: 60 })
    expect(presigned.headers).toEqual({})
    expect(await curl(presigned, join(folder, 'curl.bin'))).toBe(200)
    expect(sha256(await readFile(join(folder, 'curl.bin')))).toBe(sha256(bytes))
    expect(await curl(presigned, join(folder, 'range.bin'), ['-r', '1048576-2097151'])).toBe(206)
    expect((await readFile(join(folder, 'range.bin'))).equals(bytes.subarray(1 << 20, 2 << 20))).toBe(true)
    expect(await urllib(presigned, join(folder, 'urllib.bin'))).toBe(200)
    expect(sha256(await readFile(join(folder, 'urllib.bin')))).toBe(sha256(bytes))
    await storage.close()
  })

  it('is refused once expired', async () => {
    const storage = await testStorage()
    const folder = await temporaryFolder('s3-presign')
    await storage.upload('blobs/soon.bin', (async function* () {
      yield randomBytes(100)
    })())
    const presigned = await storage.presign('blobs/soon.bin', { method: 'GET', expiresInSeconds: 1 })
    await new Promise((resolve) => setTimeout(resolve, presigned.expiresAt.getTime() - Date.now() + 1500))
    expect(await curl(presigned, join(folder, 'late.xml'))).toBe(403)
    expect(await readFile(join(folder, 'late.xml'), 'utf8')).toContain('AccessDenied')
    await storage.close()
  })

  it('reads no other object: another key, a climbing path, another bucket or a longer expiry are refused with 403', async () => {
    const storage = await testStorage()
    const folder = await temporaryFolder('s3-presign')
    const other = `other-${randomPrefix()}`
    await createBucket(other)
    const secret = randomBytes(1000)
    for (const location of ['blobs/mine', 'blobs/theirs']) await storage.upload(location, (async function* () {
      yield location === 'blobs/mine' ? randomBytes(1000) : secret
    })())
    const client = rawClient()
    await client.send(new PutObjectCommand({ Bucket: other, Key: `${storage.prefix}blobs/mine`, Body: secret }))
    client.destroy()
    const presigned = await storage.presign('blobs/mine', { method: 'GET', expiresInSeconds: 60 })
    const path = `/${storage.bucket}/${storage.prefix}blobs/mine`
    expect(presigned.url).toContain(`${path}?`)
    const tampered = [
      presigned.url.replace(path, `/${storage.bucket}/${storage.prefix}blobs/theirs`),
      presigned.url.replace(path, `/${storage.bucket}/${storage.prefix}blobs/mine/../theirs`),
      presigned.url.replace(path, `/${other}/${storage.prefix}blobs/mine`),
      presigned.url.replace('X-Amz-Expires=60', 'X-Amz-Expires=604800'),
    ]
    for (const [i, url] of tampered.entries()) {
      expect(url).not.toBe(presigned.url)
      expect(await curl(presigned, join(folder, `t${i}`), [], url)).toBe(403)
      expect((await readFile(join(folder, `t${i}`))).includes(secret)).toBe(false)
    }
    await storage.close()
  })
})

describe('presigned PUT', () => {
  for (const checksum of ['when_supported', 'when_required'] as const) {
    it(`with a digest, the gateway stores only the declared bytes (checksum: ${checksum})`, async () => {
      const storage = await testStorage({ checksum })
      const folder = await temporaryFolder('s3-presign')
      const bytes = randomBytes(2 * 1024 * 1024 + 5)
      const wrong = Buffer.from(bytes)
      wrong[wrong.length - 1] = (wrong.at(-1) ?? 0) ^ 1
      for (const [name, content] of [['right', bytes], ['wrong', wrong], ['longer', Buffer.concat([bytes, Buffer.from('x')])]] as const) {
        await writeFile(join(folder, name), content)
      }
      const presigned = await storage.presign('staging/up.bin', { method: 'PUT', expiresInSeconds: 60, digest: sha256(bytes), size: bytes.length })
      expect(presigned.verified).toBe(true)
      // The flexible checksum only where the store's setting allows it, and never the SDK's CRC32 of an empty body.
      expect('x-amz-checksum-sha256' in presigned.headers).toBe(checksum === 'when_supported')
      expect(presigned.url).not.toMatch(/x-amz-checksum-crc32|UNSIGNED-PAYLOAD/i)
      // Same size, one bit off: the payload hash does not match (400 XAmzContentSHA256Mismatch).
      expect(await curl(presigned, join(folder, 'r1'), ['-T', join(folder, 'wrong')])).toBe(400)
      expect(await readFile(join(folder, 'r1'), 'utf8')).toContain('XAmzContentSHA256Mismatch')
      // Another length: the signed Content-Length does not match (403 before any byte is stored).
      expect(await curl(presigned, join(folder, 'r2'), ['-T', join(folder, 'longer')])).toBe(403)
      // The right bytes under an unsigned payload claim: the signature covers the hash header.
      expect(await curl(presigned, join(folder, 'r3'), ['-T', join(folder, 'wrong'), '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD'])).toBe(403)
      expect(await storage.stat('staging/up.bin')).toBeNull()

      expect(await curl(presigned, join(folder, 'r4'), ['-T', join(folder, 'right')])).toBe(200)
      expect(sha256(await readAll(storage.open('staging/up.bin')))).toBe(sha256(bytes))
      // The digest recorded with the object is the one the plugin's downloads check against.
      expect((await storage.download('staging/up.bin', join(folder, 'back'))).digest).toBe(sha256(bytes))
      // Wrong bytes through the same URL later leave the stored object as it was.
      expect(await urllib(presigned, join(folder, 'wrong'))).toBe(400)
      expect(sha256(await readAll(storage.open('staging/up.bin')))).toBe(sha256(bytes))
      await storage.close()
    })
  }

  it('python urllib uploads the declared bytes; an empty object too', async () => {
    const storage = await testStorage()
    const folder = await temporaryFolder('s3-presign')
    for (const bytes of [randomBytes(70_000), Buffer.alloc(0)]) {
      await writeFile(join(folder, 'body'), bytes)
      const presigned = await storage.presign(`staging/${bytes.length}`, { method: 'PUT', expiresInSeconds: 60, digest: sha256(bytes), size: bytes.length })
      expect(await urllib(presigned, join(folder, 'body'))).toBe(200)
      expect(sha256(await readAll(storage.open(`staging/${bytes.length}`)))).toBe(sha256(bytes))
    }
    await storage.close()
  })

  it('without a digest, says verified: false, and then stores whatever arrives: the server must hash it', async () => {
    const storage = await testStorage()
    const folder = await temporaryFolder('s3-presign')
    const presigned = await storage.presign('staging/unchecked', { method: 'PUT', expiresInSeconds: 60, contentType: 'application/octet-stream' })
    expect(presigned).toMatchObject({ method: 'PUT', verified: false, headers: { 'content-type': 'application/octet-stream' } })
    expect(presigned.url).not.toMatch(/x-amz-checksum-crc32/i)
    const sent = randomBytes(50_000)
    await writeFile(join(folder, 'sent'), sent)
    expect(await curl(presigned, join(folder, 'r'), ['-T', join(folder, 'sent')])).toBe(200)
    expect(sha256(await readAll(storage.open('staging/unchecked')))).toBe(sha256(sent))
    await storage.close()
  })

  it('with presignedPayloadCheck: false, says verified: false and records no digest, though it still signs the hash', async () => {
    const storage = await testStorage({ presignedPayloadCheck: false })
    const folder = await temporaryFolder('s3-presign')
    const bytes = randomBytes(10_000)
    await writeFile(join(folder, 'right'), bytes)
    const presigned = await storage.presign('staging/unknown-server', { method: 'PUT', expiresInSeconds: 60, digest: sha256(bytes), size: bytes.length })
    expect(presigned.verified).toBe(false)
    expect(presigned.headers['x-amz-content-sha256']).toBe(digestHex(sha256(bytes)))
    expect(presigned.headers).not.toHaveProperty('x-amz-meta-sha256')
    expect(await curl(presigned, join(folder, 'r'), ['-T', join(folder, 'right')])).toBe(200)
    const client = rawClient()
    const head = await client.send(new HeadObjectCommand({ Bucket: storage.bucket, Key: `${storage.prefix}staging/unknown-server` }))
    client.destroy()
    expect(head.Metadata ?? {}).not.toHaveProperty('sha256')
    await storage.close()
  })

  it('refuses more than one PUT can carry (5 GiB)', async () => {
    const storage = await testStorage()
    const error = await storage.presign('staging/huge', { method: 'PUT', expiresInSeconds: 60, size: 5 * 1024 ** 3 + 1 }).catch((e: unknown) => e)
    expect(AssetError.isInstance(error) && error.code).toBe('INVALID_INPUT')
    await storage.close()
  })
})

describe('presign locations and secrets', () => {
  it('signs only the store\'s own relative locations: no reference URI, no other bucket, no climbing', async () => {
    const storage = await testStorage()
    for (const location of [`s3://${storage.bucket}/${storage.prefix}blobs/x`, 's3://other-bucket/x', '../x', 'a/../../x', '/x', 'a//b', 'a\\b', '']) {
      const error = await storage.presign(location, { method: 'GET', expiresInSeconds: 60 }).catch((e: unknown) => e)
      expect([location, AssetError.isInstance(error) && error.code]).toEqual([location, expect.stringMatching(/^INVALID_(INPUT|KEY)$/)])
    }
    await storage.close()
  })

  it('an anonymous store declares no presign and refuses it', async () => {
    const storage = await testStorage({ anonymous: true })
    expect(storage.capabilities.presign).toBe(false)
    const error = await storage.presign('blobs/x', { method: 'GET', expiresInSeconds: 60 }).catch((e: unknown) => e)
    expect(AssetError.isInstance(error) && error.code).toBe('UNSUPPORTED_OPERATION')
    await storage.close()
  })

  it('puts no secret key or signature in errors or logs, and redactSecrets hides the signature of an answer', async () => {
    const { storage, warnings } = await storageWithLog()
    const { secretAccessKey } = server()
    const presigned = await storage.presign(blobLocation(sha256('s')), { method: 'PUT', expiresInSeconds: 60, digest: sha256('s'), size: 1 })
    const signature = new URL(presigned.url).searchParams.get('X-Amz-Signature') as string
    expect(signature).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(presigned)).not.toContain(secretAccessKey)
    expect(JSON.stringify(redactSecrets(presigned))).not.toContain(signature)
    const errors = [
      await storage.presign('../x', { method: 'GET', expiresInSeconds: 60 }).catch((e: unknown) => e),
      await storage.presign('blobs/s', { method: 'GET', expiresInSeconds: 0 }).catch((e: unknown) => e),
      await storage.presign('blobs/s', { method: 'PUT', expiresInSeconds: 60, size: 6 * 1024 ** 3 }).catch((e: unknown) => e),
      // An SDK error that quotes a presigned URL, as a failed request's message may.
      toAssetError(Object.assign(new Error(`request to ${presigned.url} failed`), { $metadata: { httpStatusCode: 503 } }), 'reading blobs/s'),
    ]
    for (const error of errors) {
      expect(AssetError.isInstance(error)).toBe(true)
      expect(everything(error)).not.toContain(secretAccessKey)
      expect((error as Error).message).not.toContain(signature)
    }
    expect(warnings.join('\n')).not.toContain(secretAccessKey)
    expect(warnings.join('\n')).not.toContain(signature)
    await storage.close()
  })
})
