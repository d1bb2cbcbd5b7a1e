import { Readable } from 'node:stream'
import { type AssetRecord, type ContentDigest, InvalidInputError, isContentDigest, NotFoundError } from '@assets/core'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { parseRange } from '../byte-range.js'
import { keyParam } from '../key-param.js'
import { ContentQuery } from '../schemas.js'
import type { ServerContext } from '../server-context.js'

const Key = Type.Object({ '*': Type.String() })
const BLOB = /^blobs\/sha256\/[0-9a-f]{2}\/([0-9a-f]{64})$/

/** One object of a readable version: what to send and how to name it. */
export interface Target {
  location: string
  size: number
  /** The digest of exactly these bytes, when known: the ETag. */
  digest?: ContentDigest
  /** The version's own file, read through the manager (references, verification on the way). */
  main: boolean
}

/**
 * Which object of `record` a request may read: the version's file (the default), or, for a
 * folder, its manifest or one of its files, by location or by path. Any other location is
 * answered as missing: a token reads only the blobs of versions it may read.
 */
export async function targetOf(ctx: ServerContext, record: AssetRecord, query: { location?: string; path?: string }): Promise<Target> {
  const manifestDigest = record.digest as ContentDigest
  if (query.path !== undefined) {
    if (record.type !== 'folder') throw new InvalidInputError(`${record.key}@${record.version} is a file, not a folder: path= is for folders`)
    const entry = await ctx.manifests.byPath(record.location, manifestDigest, query.path)
    if (!entry) throw new NotFoundError(`${record.key}@${record.version} has no file ${JSON.stringify(query.path)}`)
    return { ...entry, main: false }
  }
  const location = query.location ?? record.location
  if (location === record.location) {
    if (record.type === 'file') return { location, size: record.size, digest: isContentDigest(record.digest) ? record.digest : undefined, main: true }
    const stat = await ctx.manager.storage.stat(location)
    if (!stat) throw new NotFoundError(`the manifest of ${record.key}@${record.version} is missing from storage`)
    return { location, size: stat.size, digest: manifestDigest, main: false }
  }
  const blob = BLOB.exec(location)
  const size = blob && record.type === 'folder' ? (await ctx.manifests.files(record.location, manifestDigest)).get(location) : undefined
  if (!blob || size === undefined) throw new NotFoundError(`${record.key}@${record.version} has no content at ${JSON.stringify(location)}`)
  return { location, size, digest: `sha256:${blob[1]}`, main: false }
}

/** Whether an If-Match list names `etag` (`*`: any content); a weak tag never matches. */
function matchesEtag(header: string, etag: string | undefined): boolean {
  if (header.trim() === '*') return true
  return etag !== undefined && header.split(',').some((tag) => tag.trim() === etag)
}

/** Downloads, with Range, an ETag that is the content digest, If-Match and If-None-Match. */
export function contentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = keyParam(request.params)
    const query = request.query as { ref?: string; location?: string; path?: string }
    const record = await request.assets.getMetadata(key, query.ref ?? 'latest')
    const target = await targetOf(ctx, record, query)
    const etag = target.digest ? `"${target.digest}"` : undefined
    reply.header('accept-ranges', 'bytes').header('x-assets-version', record.version)
    if (etag) reply.header('etag', etag)
    reply.header('cache-control', 'private, no-cache')
    // Stored bytes are whatever a user uploaded: a browser must never run them as this site's page or script.
    reply.header('x-content-type-options', 'nosniff')
    // A client fetching ranges in parallel pins them to one content (RFC 9110 If-Match, strong comparison).
    const ifMatch = request.headers['if-match']
    if (ifMatch !== undefined && !matchesEtag(ifMatch, etag)) {
      return reply.code(412).send({ error: { code: 'PRECONDITION_FAILED', message: `${record.key}@${record.version} is not the content ${ifMatch} any more` } })
    }
    if (etag && request.headers['if-none-match'] === etag) return reply.code(304).send()
    const range = parseRange(request.headers.range, target.size)
    if (range === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${target.size}`).send()
    const start = range?.start ?? 0
    const end = range?.end ?? target.size
    reply.header('content-type', 'application/octet-stream').header('content-length', String(end - start))
    if (range) reply.code(206).header('content-range', `bytes ${start}-${end - 1}/${target.size}`)
    if (request.method === 'HEAD' || end === start) return reply.send()
    const abort = new AbortController()
    request.raw.on('close', () => abort.abort())
    const bytes = target.main
      ? await request.assets.stream(key, record.version, { start, end, signal: abort.signal })
      : ctx.manager.storage.open(target.location, { start, end, signal: abort.signal })
    return reply.send(Readable.from(bytes, { objectMode: false }))
  }
  const schema = { tags: ['content'], params: Key, querystring: ContentQuery }
  app.get('/v1/content/*', { schema: { ...schema, summary: 'Download a version’s content (Range, ETag, If-Match, If-None-Match)' }, exposeHeadRoute: false }, handler)
  app.head('/v1/content/*', { schema: { ...schema, summary: 'Size and digest of a version’s content' } }, handler)
}
