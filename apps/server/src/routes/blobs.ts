import type { Readable } from 'node:stream'
import { InvalidInputError } from '@assets/core'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { ServerContext } from '../server-context.js'

const Location = Type.Object({ '*': Type.String({ description: 'blobs/sha256/<first two hex digits>/<64 hex digits>' }) })
const BLOB = /^blobs\/sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/
const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/

function blobOf(params: unknown): { location: string; hex: string } {
  const location = (params as Record<string, unknown>)['*']
  const match = typeof location === 'string' ? BLOB.exec(location) : null
  if (!match?.[2]?.startsWith(match[1] as string)) {
    throw new InvalidInputError('a blob location is blobs/sha256/<first two hex digits>/<64 lower-case hex digits of the sha256>')
  }
  return { location: location as string, hex: match[2] }
}

/** Where the bytes of this request go: `start` of a blob of `size` bytes. */
function declared(headers: Record<string, string | string[] | undefined>): { start: number; end: number; size: number } {
  const length = Number(headers['content-length'])
  if (!Number.isSafeInteger(length) || length < 0) throw new InvalidInputError('an upload needs a Content-Length')
  const range = headers['content-range']
  if (range === undefined) return { start: 0, end: length, size: length }
  const match = typeof range === 'string' ? CONTENT_RANGE.exec(range) : null
  if (!match) throw new InvalidInputError('Content-Range must be "bytes <first>-<last>/<size>"')
  const [start, last, size] = [Number(match[1]), Number(match[2]), Number(match[3])]
  if (last < start || last >= size || last - start + 1 !== length) throw new InvalidInputError('Content-Range does not agree with Content-Length and the size')
  return { start, end: last + 1, size }
}

/**
 * Content uploads. The server hashes every byte it receives and stores a blob only under the
 * digest of those bytes; a dropped upload resumes from where HEAD says it stopped
 * (`Upload-Offset`), by sending the rest with `Content-Range`.
 */
export function blobRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload))

  app.head('/v1/blobs/*', { schema: { tags: ['content'], summary: 'Whether this token’s user has uploaded a blob (never whether anyone else has), and how far an unfinished upload of it got', params: Location } }, async (request, reply) => {
    const { location, hex } = blobOf(request.params)
    const state = await ctx.uploads.state(request.actor.user, location, hex)
    if (state.stored) return reply.code(200).header('content-length', String(state.offset)).send()
    return reply.code(404).header('upload-offset', String(state.offset)).send()
  })

  app.put(
    '/v1/blobs/*',
    { schema: { tags: ['content'], summary: 'Upload a blob (application/octet-stream), whole or from an offset with Content-Range', params: Location } },
    async (request, reply) => {
      const { location, hex } = blobOf(request.params)
      const { start, end, size } = declared(request.headers)
      if (size > ctx.maxBlobBytes) return reply.code(413).send({ error: { code: 'INVALID_INPUT', message: `a blob may have at most ${ctx.maxBlobBytes} bytes` } })
      if (request.headers['content-type'] !== 'application/octet-stream') throw new InvalidInputError('send the bytes as application/octet-stream')
      // Once every byte has arrived, storing it may take long: the client is waiting, not idle.
      const state = await ctx.uploads.receive(request.actor.user, location, hex, size, start, end, request.body as Readable, () => request.raw.socket?.setTimeout(0))
      if (!state.stored && state.offset < end) throw new InvalidInputError(`the upload of ${location} ended at byte ${state.offset}, before the ${end} declared`)
      return reply.code(state.stored ? 201 : 202).header('upload-offset', String(state.offset)).send({ stored: state.stored, offset: state.offset })
    },
  )
}
