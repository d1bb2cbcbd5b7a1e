import type { PresignRequest } from './contracts/storage.js'
import { blobLocation, isContentDigest } from './digest.js'
import { InvalidInputError } from './errors/index.js'

/** 7 days: the longest a SigV4 presigned URL can live (GCS V4 signing has the same limit). */
export const MAX_PRESIGN_EXPIRES_SECONDS = 7 * 24 * 3600

/**
 * The most one presigned PUT may carry: 5 GiB, S3's PutObject limit (a larger object needs a
 * multipart upload, which one URL cannot sign). The S3 plugin refuses to sign more, the server
 * answers "upload through me" above it, and the remote client does not ask.
 */
export const MAX_PRESIGNED_PUT_BYTES = 5 * 1024 ** 3

// A media type and its parameters, printable ASCII only: the value becomes a header or a signed
// query parameter, so a CR or LF here would be a header injected into the client's request.
const CONTENT_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(?:\s*;[\x20-\x7e]*)?$/
const MAX_CONTENT_TYPE_LENGTH = 255

/**
 * Throws InvalidInputError unless `request` is one every backend may sign: GET or PUT, an
 * expiry from 1 s to 7 days in whole seconds, a content digest and a byte count (PUT only), a
 * plain media type. Returns the request with only these fields. `backend` names the plugin in
 * the message.
 */
export function checkPresignRequest(backend: string, request: PresignRequest): PresignRequest {
  const refuse = (why: string): never => {
    throw new InvalidInputError(`${backend}: cannot presign: ${why}`)
  }
  if (typeof request !== 'object' || request === null) refuse('the request must be an object')
  const { method, expiresInSeconds, digest, size, contentType } = request
  if (method !== 'GET' && method !== 'PUT') refuse(`method must be GET or PUT, got ${JSON.stringify(method)}`)
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_EXPIRES_SECONDS) {
    refuse(`expiresInSeconds must be a whole number from 1 to ${MAX_PRESIGN_EXPIRES_SECONDS} (7 days), got ${JSON.stringify(expiresInSeconds)}`)
  }
  // A digest or size on a GET would read as a promise about the bytes that nothing keeps.
  if (method === 'GET' && (digest !== undefined || size !== undefined)) refuse('digest and size apply to PUT only')
  if (digest !== undefined && !isContentDigest(digest)) refuse('digest must be sha256:<64 lowercase hex>')
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) refuse(`size must be a whole number >= 0, got ${JSON.stringify(size)}`)
  if (contentType !== undefined && (typeof contentType !== 'string' || contentType.length > MAX_CONTENT_TYPE_LENGTH || !CONTENT_TYPE.test(contentType))) {
    refuse('contentType must be a media type (type/subtype, printable ASCII, at most 255 characters)')
  }
  return {
    method,
    expiresInSeconds,
    ...(digest !== undefined ? { digest } : {}),
    ...(size !== undefined ? { size } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  }
}

/**
 * Throws InvalidInputError for a PUT that could replace registered content: a location under
 * `blobs/` may only be signed for the bytes its name is the digest of (`blobLocation(digest)`,
 * with that digest in the request), so that whoever holds the URL can write nothing else there.
 * Other locations (staging, a backend's own) are the caller's to choose.
 */
export function checkPresignTarget(backend: string, location: string, request: PresignRequest): void {
  if (request.method !== 'PUT' || !location.startsWith('blobs/')) return
  if (request.digest === undefined || location !== blobLocation(request.digest)) {
    throw new InvalidInputError(`${backend}: cannot presign a PUT to ${location}: content locations take only the bytes of their own digest (give digest, and use blobLocation(digest))`)
  }
}
