import { blobLocation, type ContentDigest, InvalidInputError, UnsupportedOperationError } from '@assets/core'
import type { FastifyInstance } from 'fastify'
import { PresignedUploads } from '../presigned-upload.js'
import { PresignBody, PresignCompleteBody } from '../schemas.js'
import type { ServerContext } from '../server-context.js'
import { targetOf } from './content.js'

interface PresignAsk {
  method: 'GET' | 'PUT'
  key?: string
  ref?: string
  location?: string
  digest?: ContentDigest
  size?: number
}

/**
 * Short-lived URLs through which a client moves bytes straight between itself and the bucket,
 * handed out only after the same checks as the server's own routes: a blob of a version the
 * token may read, or an upload to a staging object of the token's user, which the server
 * adopts as a blob only once it knows the bytes are the declared ones (see PresignedUploads).
 */
export function presignRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const uploads = new PresignedUploads(ctx.manager.storage, ctx.uploads, ctx.presignSeconds, ctx.maxBlobBytes)
  app.post('/v1/presign', { schema: { tags: ['content'], summary: 'A presigned URL to read a readable version’s blob, or to upload a blob, directly at the store', body: PresignBody } }, async (request) => {
    const ask = request.body as PresignAsk
    const storage = ctx.manager.storage
    if (!storage.capabilities.presign || !storage.presign) throw new UnsupportedOperationError(`storage "${storage.name}" makes no presigned URLs: move the bytes through the server`)
    if (ask.method === 'GET') {
      if (ask.key === undefined) throw new InvalidInputError('a presigned GET names the asset (key, ref) whose content it reads')
      const record = await request.assets.getMetadata(ask.key, ask.ref ?? 'latest')
      const target = await targetOf(ctx, record, { location: ask.location })
      if (target.main && !target.digest) throw new UnsupportedOperationError(`${record.key}@${record.version} is read by reference: read it through the server`)
      if (target.main && target.location !== blobLocation(target.digest as ContentDigest)) throw new UnsupportedOperationError(`${record.key}@${record.version} is not in the server's store`)
      const presigned = await storage.presign(target.location, { method: 'GET', expiresInSeconds: ctx.presignSeconds })
      return { ...presigned, location: target.location, size: target.size, digest: target.digest, version: record.version }
    }
    if (ask.digest === undefined || ask.size === undefined) throw new InvalidInputError('a presigned PUT declares the digest and size of the bytes it will carry')
    // Every request acts as its token's user: the staging object, and later the receipt, are that user's.
    return uploads.start(request.actor.user, ask.digest, ask.size)
  })

  app.post(
    '/v1/presign/complete',
    { schema: { tags: ['content'], summary: 'Adopt the bytes of a presigned upload as a blob this user sent (then register as usual)', body: PresignCompleteBody } },
    async (request) => {
      const { uploadId, digest, size } = request.body as { uploadId: string; digest: ContentDigest; size: number }
      return { stored: true, ...(await uploads.complete(request.actor.user, uploadId, digest, size)) }
    },
  )
}
