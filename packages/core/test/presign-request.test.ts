import { describe, expect, it } from 'vitest'
import { blobLocation, checkPresignRequest, checkPresignTarget, InvalidInputError, MAX_PRESIGN_EXPIRES_SECONDS, type PresignRequest, sha256 } from '../src/index.js'

/** The InvalidInputError's message; fails the test when the request is accepted. */
function refusal(request: unknown): string {
  try {
    checkPresignRequest('test', request as PresignRequest)
  } catch (error) {
    expect(InvalidInputError.isInstance(error)).toBe(true)
    return (error as Error).message
  }
  throw new Error(`expected ${JSON.stringify(request)} to be refused`)
}

describe('checkPresignRequest', () => {
  it('accepts expiries from 1 s to 7 days and returns only the known fields', () => {
    expect(checkPresignRequest('test', { method: 'GET', expiresInSeconds: 1 })).toEqual({ method: 'GET', expiresInSeconds: 1 })
    const put = { method: 'PUT', expiresInSeconds: MAX_PRESIGN_EXPIRES_SECONDS, digest: sha256('x'), size: 1, contentType: 'text/csv; charset=utf-8', extra: 1 }
    expect(checkPresignRequest('test', put as PresignRequest)).toEqual({
      method: 'PUT',
      expiresInSeconds: 604_800,
      digest: sha256('x'),
      size: 1,
      contentType: 'text/csv; charset=utf-8',
    })
  })

  it('refuses expiries outside 1 s … 7 days, or not whole seconds, naming the bounds', () => {
    for (const expiresInSeconds of [0, -1, 604_801, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '60']) {
      expect(refusal({ method: 'GET', expiresInSeconds })).toContain('from 1 to 604800')
    }
  })

  it('refuses other methods, a digest or size on a GET, bad digests, sizes and content types', () => {
    expect(refusal(null)).toContain('must be an object')
    expect(refusal({ method: 'DELETE', expiresInSeconds: 60 })).toContain('GET or PUT')
    expect(refusal({ method: 'GET', expiresInSeconds: 60, size: 1 })).toContain('PUT only')
    expect(refusal({ method: 'PUT', expiresInSeconds: 60, digest: `sha256:${'A'.repeat(64)}` })).toContain('lowercase hex')
    expect(refusal({ method: 'PUT', expiresInSeconds: 60, size: 2 ** 53 })).toContain('size')
    for (const contentType of ['text/plain\r\nx-amz-acl: public-read', 'plain', 'a/b\u0000', `a/${'b'.repeat(300)}`, '']) {
      expect(refusal({ method: 'PUT', expiresInSeconds: 60, contentType })).toContain('contentType')
    }
  })
})

describe('checkPresignTarget', () => {
  const digest = sha256('content')
  const put = (extra: Partial<PresignRequest> = {}): PresignRequest => ({ method: 'PUT', expiresInSeconds: 60, ...extra })

  it('a PUT to a content location must carry the digest that location names', () => {
    expect(() => checkPresignTarget('test', blobLocation(digest), put({ digest }))).not.toThrow()
    for (const [location, request] of [
      [blobLocation(digest), put()],
      [blobLocation(digest), put({ digest: sha256('other') })],
      ['blobs/sha256/ab/not-a-digest', put({ digest })],
      ['blobs/anything', put()],
    ] as const) {
      expect(() => checkPresignTarget('test', location, request)).toThrow(/content locations take only the bytes of their own digest/)
    }
  })

  it('GETs, and PUTs elsewhere (staging), are the caller\'s to choose', () => {
    expect(() => checkPresignTarget('test', blobLocation(digest), { method: 'GET', expiresInSeconds: 60 })).not.toThrow()
    expect(() => checkPresignTarget('test', 'staging/upload-1', put())).not.toThrow()
  })
})
