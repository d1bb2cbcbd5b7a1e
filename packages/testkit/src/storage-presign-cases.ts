import { randomBytes } from 'node:crypto'
import { type AssetErrorCode, MAX_PRESIGN_EXPIRES_SECONDS, type PresignedRequest, type PresignRequest, sha256, type Storage } from '@assets/core'
import { expect } from 'vitest'
import { delay, readAll } from './byte-streams.js'
import { codeOf, failureOf } from './expect-failure.js'
import type { StorageTest } from './storage-case.js'

function presign(storage: Storage): (location: string, request: PresignRequest) => Promise<PresignedRequest> {
  if (storage.presign === undefined) throw new Error('the storage declares presign but has no presign method')
  return storage.presign.bind(storage)
}

/** Sends the presigned request the way any HTTP client would: the URL, the listed headers, the body. */
async function send(presigned: PresignedRequest, body?: Uint8Array, extra: Record<string, string> = {}): Promise<{ status: number; bytes: Buffer }> {
  const response = await fetch(presigned.url, { method: presigned.method, headers: { ...presigned.headers, ...extra }, body })
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) }
}

function accepted(status: number): boolean {
  return status >= 200 && status < 300
}

/** The last segment of a suite location: random, so it names one object in a URL. */
function lastSegment(location: string): string {
  return location.slice(location.lastIndexOf('/') + 1)
}

/**
 * `presign`, for a backend that declares it: a plain HTTP client with nothing but the answer
 * reads or writes the one object, only until the expiry, and a PUT for a digest either gets the
 * store to refuse other bytes or says (`verified: false`) that whoever hands it out must hash
 * what arrives.
 */
export function storagePresignCases(test: StorageTest): void {
  test('a presigned GET lets any HTTP client read the object, and a Range of it', async ({ storage, place, location }) => {
    const bytes = randomBytes(100_000)
    const at = location()
    await place(at, bytes)
    const before = Date.now()
    const presigned = await presign(storage)(at, { method: 'GET', expiresInSeconds: 60 })
    expect(presigned).toMatchObject({ method: 'GET', verified: false })
    expect(presigned.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 59_000)
    expect(presigned.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000)
    const whole = await send(presigned)
    expect(whole.status).toBe(200)
    expect(sha256(whole.bytes)).toBe(sha256(bytes))
    const range = await send(presigned, undefined, { range: 'bytes=1000-1999' })
    expect(range.status).toBe(206)
    expect(range.bytes.equals(bytes.subarray(1000, 2000))).toBe(true)
  })

  test('a presigned GET for one object cannot read another by changing the URL', async ({ storage, place, location }) => {
    const [mine, other] = [location(), location()]
    await place(mine, randomBytes(1000))
    const secret = randomBytes(1000)
    await place(other, secret)
    const presigned = await presign(storage)(mine, { method: 'GET', expiresInSeconds: 60 })
    expect(presigned.url).toContain(lastSegment(mine))
    const tampered = await send({ ...presigned, url: presigned.url.replace(lastSegment(mine), lastSegment(other)) })
    expect(tampered.status).toBeGreaterThanOrEqual(400)
    expect(tampered.bytes.includes(secret)).toBe(false)
  })

  test('a presigned GET of a missing object fails', async ({ storage, location }) => {
    const presigned = await presign(storage)(location(), { method: 'GET', expiresInSeconds: 60 })
    expect((await send(presigned)).status).toBeGreaterThanOrEqual(400)
  })

  test('an expired presigned URL is refused', async ({ storage, place, location }) => {
    const at = location()
    await place(at, randomBytes(1000))
    const presigned = await presign(storage)(at, { method: 'GET', expiresInSeconds: 1 })
    await delay(Math.max(0, presigned.expiresAt.getTime() - Date.now()) + 1500)
    const late = await send(presigned)
    expect(late.status).toBeGreaterThanOrEqual(400)
    expect(late.status).toBeLessThan(500)
  })

  test('a presigned PUT with a digest and size stores the bytes the client sends', async ({ storage, location }) => {
    const bytes = randomBytes(150_000)
    const at = location()
    const presigned = await presign(storage)(at, { method: 'PUT', expiresInSeconds: 60, digest: sha256(bytes), size: bytes.length })
    expect(presigned.method).toBe('PUT')
    const put = await send(presigned, bytes)
    expect(put.status).toBeGreaterThanOrEqual(200)
    expect(put.status).toBeLessThan(300)
    expect((await storage.stat(at))?.size).toBe(bytes.length)
    expect(sha256(await readAll(storage.open(at)))).toBe(sha256(bytes))
  })

  test('a presigned PUT refuses bytes other than its digest, or says it does not check them', async ({ storage, location }) => {
    const declared = randomBytes(20_000)
    const sent = randomBytes(declared.length)
    const at = location()
    const presigned = await presign(storage)(at, { method: 'PUT', expiresInSeconds: 60, digest: sha256(declared), size: declared.length })
    const put = await send(presigned, sent)
    if (presigned.verified || !accepted(put.status)) {
      expect(put.status).toBeGreaterThanOrEqual(400)
      expect(await storage.stat(at)).toBeNull()
    } else {
      // Stored as sent: whoever hands the URL out must hash the object before believing the declared digest.
      expect(sha256(await readAll(storage.open(at)))).toBe(sha256(sent))
    }
  })

  test('a presigned PUT refuses another size, or says it does not check it', async ({ storage, location }) => {
    const declared = randomBytes(20_000)
    const at = location()
    const presigned = await presign(storage)(at, { method: 'PUT', expiresInSeconds: 60, digest: sha256(declared), size: declared.length })
    const longer = await send(presigned, Buffer.concat([declared, Buffer.from('x')]))
    const shorter = await send(presigned, declared.subarray(1))
    if (presigned.verified) {
      expect(longer.status).toBeGreaterThanOrEqual(400)
      expect(shorter.status).toBeGreaterThanOrEqual(400)
    }
    const size = (await storage.stat(at))?.size
    if (accepted(shorter.status)) expect(size).toBe(declared.length - 1)
    else if (accepted(longer.status)) expect(size).toBe(declared.length + 1)
    else expect(size).toBeUndefined()
  })

  test('a presigned PUT that is refused leaves the earlier object as it was', async ({ storage, place, location }) => {
    const before = randomBytes(5000)
    const at = location()
    await place(at, before)
    const declared = randomBytes(6000)
    const presigned = await presign(storage)(at, { method: 'PUT', expiresInSeconds: 60, digest: sha256(declared), size: declared.length })
    const sent = randomBytes(declared.length)
    const put = await send(presigned, sent)
    if (presigned.verified) expect(put.status).toBeGreaterThanOrEqual(400)
    expect(sha256(await readAll(storage.open(at)))).toBe(sha256(accepted(put.status) ? sent : before))
  })

  test('presign refuses malformed requests and locations outside the store', async ({ storage, location }) => {
    const at = location()
    const sign = presign(storage)
    const refused: Array<[string, PresignRequest]> = [
      ['no expiry', { method: 'GET', expiresInSeconds: 0 }],
      ['past 7 days', { method: 'GET', expiresInSeconds: MAX_PRESIGN_EXPIRES_SECONDS + 1 }],
      ['fractional', { method: 'GET', expiresInSeconds: 1.5 }],
      ['NaN', { method: 'GET', expiresInSeconds: Number.NaN }],
      ['DELETE', { method: 'DELETE' as 'GET', expiresInSeconds: 60 }],
      ['a GET with a digest', { method: 'GET', expiresInSeconds: 60, digest: sha256('x') }],
      ['a malformed digest', { method: 'PUT', expiresInSeconds: 60, digest: 'sha256:abc' as `sha256:${string}` }],
      ['a negative size', { method: 'PUT', expiresInSeconds: 60, size: -1 }],
      ['a header in the content type', { method: 'PUT', expiresInSeconds: 60, contentType: 'text/plain\r\nx-amz-acl: public-read-write' }],
    ]
    for (const [what, request] of refused) {
      const error = await failureOf(() => sign(at, request))
      expect(`${what}: ${codeOf(error)}`).toBe(`${what}: INVALID_INPUT`)
    }
    const outside: AssetErrorCode[] = ['INVALID_INPUT', 'INVALID_KEY']
    for (const bad of ['../escape', `${at}/../../x`, '/absolute', 'back\\slash', 'nul\u0000byte', '']) {
      const error = await failureOf(() => sign(bad, { method: 'GET', expiresInSeconds: 60 }))
      expect(outside).toContain(codeOf(error))
    }
    // The longest expiry is accepted.
    await expect(sign(at, { method: 'GET', expiresInSeconds: MAX_PRESIGN_EXPIRES_SECONDS })).resolves.toMatchObject({ method: 'GET' })
  })
}

/** A backend without the capability has no presign, or refuses it. */
export function refusedPresignCase(test: StorageTest): void {
  test('offers no presign, or refuses it with UnsupportedOperationError', async ({ storage, location }) => {
    const error = storage.presign === undefined ? undefined : await failureOf(() => storage.presign?.(location(), { method: 'GET', expiresInSeconds: 60 }))
    expect(error === undefined ? 'no presign' : codeOf(error)).toMatch(/^(no presign|UNSUPPORTED_OPERATION)$/)
  })
}
