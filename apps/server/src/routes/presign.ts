import { blobLocation, type ContentDigest, InvalidInputError, UnsupportedOperationError } from '@assets/core'
import type { FastifyInstance } from 'fastify'
import { PresignBody } from '../schemas.js'
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
 * token may read. Uploads are not presigned (see below).
 */
export function presignRoutes(app: FastifyInstance, ctx: ServerContext): void {
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
    // A presigned upload would go to the bucket unseen by the server: the store would check the
    // bytes against their digest, but the server could not tell that this user sent them, and
    // registering content needs that proof (see UploadArea). Until uploads land at a per-user
    // place the server can adopt from, they go through the server.
    throw new UnsupportedOperationError('presigned uploads are not offered: upload through the server (PUT /v1/blobs/…), which records that this user sent the bytes')
  })
}
