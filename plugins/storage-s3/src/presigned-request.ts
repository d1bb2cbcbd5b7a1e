import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { BackendUnavailableError, digestHex, InvalidInputError, MAX_PRESIGNED_PUT_BYTES, type PresignedRequest, type PresignRequest } from '@assets/core'
import { DIGEST_METADATA } from './object-upload.js'
import type { S3Context } from './s3-context.js'
import { describeTarget, type S3Target } from './s3-location.js'


const PAYLOAD_HASH = 'x-amz-content-sha256'
// Headers that stay headers (signed, sent by the client) rather than moving into the query
// string: the payload hash must, for the gateway reads it from the header; the rest so that
// every server sees them where a plain PUT would carry them.
const UNHOISTED = new Set([PAYLOAD_HASH, `x-amz-meta-${DIGEST_METADATA}`, 'x-amz-checksum-sha256', 'x-amz-sdk-checksum-algorithm'])
const CHECKSUM_HEADER = /^x-amz-(checksum-|sdk-checksum-algorithm$)/

type Headers = Record<string, string>

/** What the store's options say about the server. */
export interface PresignSettings {
  /** Flexible checksums are on (option checksum): a PUT with a digest also carries x-amz-checksum-sha256. */
  checksums: boolean
  /** The server checks a signed x-amz-content-sha256 (option presignedPayloadCheck): a PUT with a digest is `verified`. */
  payloadCheck: boolean
}

/** Without a digest, the presigner's UNSIGNED-PAYLOAD goes in the query string, as in any presigned URL. */
function unhoisted(signed: boolean): Set<string> {
  const names = new Set(UNHOISTED)
  if (!signed) names.delete(PAYLOAD_HASH)
  return names
}

/**
 * Signs a GetObject or PutObject of `target` for `request.expiresInSeconds`. A PUT with a digest
 * signs the payload's sha256 (`x-amz-content-sha256`) instead of UNSIGNED-PAYLOAD: S3 and the
 * RADOS Gateway then refuse other bytes (XAmzContentSHA256Mismatch) before storing anything.
 * A size is signed as Content-Length, so another length fails at the headers. With flexible
 * checksums on, such a PUT also carries `x-amz-checksum-sha256`. `verified` says whether the
 * server is known to check (option presignedPayloadCheck).
 */
export async function presignObject(ctx: S3Context, target: S3Target, request: PresignRequest, server: PresignSettings): Promise<PresignedRequest> {
  const { checksums } = server
  if (request.method === 'PUT' && request.size !== undefined && request.size > MAX_PRESIGNED_PUT_BYTES) {
    throw new InvalidInputError(`s3: cannot presign a PUT of ${request.size} bytes to ${describeTarget(target)}: one request carries at most 5 GiB`)
  }
  const signed = request.method === 'PUT' && request.digest !== undefined
  const verified = signed && server.payloadCheck
  const hex = request.digest === undefined ? undefined : digestHex(request.digest)
  const send: Headers = {}
  // Runs after the SDK's own build steps (flexible checksums among them), on the request about to be signed.
  const payloadStep =
    <A extends { request: unknown }, R>(next: (args: A) => Promise<R>) =>
    async (args: A): Promise<R> => {
      const headers = (args.request as { headers: Headers }).headers
      for (const name of Object.keys(headers)) {
        // Without a digest the SDK would sign the CRC32 of an empty body, which AWS then holds every upload to.
        if (request.method === 'PUT' && CHECKSUM_HEADER.test(name.toLowerCase()) && !(signed && checksums)) delete headers[name]
      }
      // The presigner then sets `X-Amz-Content-Sha256: UNSIGNED-PAYLOAD`; this lower-case entry,
      // inserted first, is what the signer takes as the payload hash and, sorting after it, as the
      // signed header's value. presignCheck below fails closed if that ever stops being so.
      if (signed) headers[PAYLOAD_HASH] = hex as string
      for (const [name, value] of Object.entries(headers)) {
        if (UNHOISTED.has(name.toLowerCase()) || name.toLowerCase() === 'content-type') send[name.toLowerCase()] = value
      }
      return next(args)
    }
  const step = { step: 'build', priority: 'low', name: 'assetsPresignedPayload' } as const
  // SigV4 dates have whole seconds: the URL expires `expiresInSeconds` after the second it was signed in.
  const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000)
  const options = { expiresIn: request.expiresInSeconds, signingDate, unhoistableHeaders: unhoisted(signed) }
  // Signing sends nothing (ctx.call would count a request): errors are the caller's to wrap.
  const url = await (() => {
    if (request.method === 'GET') {
      const command = new GetObjectCommand({ Bucket: target.bucket, Key: target.key, ResponseContentType: request.contentType })
      command.middlewareStack.add(payloadStep, step)
      return getSignedUrl(ctx.client, command, options)
    }
    const command = new PutObjectCommand({
      Bucket: target.bucket,
      Key: target.key,
      ContentLength: request.size,
      ContentType: request.contentType,
      // Recorded only when the server checks it: the plugin's uploads skip what this metadata says is stored.
      ...(verified ? { Metadata: { [DIGEST_METADATA]: hex as string } } : {}),
      ...(hex !== undefined && checksums ? { ChecksumSHA256: Buffer.from(hex, 'hex').toString('base64') } : {}),
    })
    command.middlewareStack.add(payloadStep, step)
    return getSignedUrl(ctx.client, command, options)
  })()
  presignCheck(url, send, signed, `a ${request.method} of ${describeTarget(target)}`)
  return { url, method: request.method, headers: send, expiresAt: new Date(signingDate.getTime() + request.expiresInSeconds * 1000), verified }
}

/**
 * The signed URL must ask for exactly the headers handed to the client, and a PUT with a digest
 * must sign the payload's hash: an SDK that stopped doing either would hand out URLs that fail, or
 * that accept any bytes while claiming otherwise.
 */
function presignCheck(url: string, send: Headers, hashed: boolean, what: string): void {
  const query = new URL(url).searchParams
  const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';')
  const unsent = signedHeaders.filter((name) => name !== 'host' && name !== 'content-length' && !(name in send))
  const hashSigned = signedHeaders.includes(PAYLOAD_HASH) && !query.has('X-Amz-Content-Sha256')
  if (unsent.length > 0 || (hashed && !hashSigned)) {
    throw new BackendUnavailableError(
      's3',
      `presigning ${what} made a URL that ${hashed && !hashSigned ? 'does not sign the payload hash' : `signs headers not handed out (${unsent.join(', ')})`}`,
    )
  }
}
