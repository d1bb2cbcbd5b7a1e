import type { FastifyInstance } from 'fastify'
import type { ServerContext } from '../server-context.js'

/**
 * `/healthz`: the process answers. `/readyz`: it can reach its registry (a catalogue read)
 * and is not shutting down; a load balancer sends no new requests to a server that is not ready.
 */
export function healthRoutes(app: FastifyInstance, ctx: ServerContext, state: { closing: boolean }): void {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is up' } }, async () => ({ ok: true }))
  app.get('/readyz', { schema: { tags: ['health'], summary: 'The server can serve: its registry answers' } }, async (_request, reply) => {
    if (state.closing) return reply.code(503).send({ ok: false, reason: 'shutting down' })
    try {
      await ctx.manager.registry.resolve('readyz/probe', 'latest')
      return { ok: true }
    } catch {
      return reply.code(503).send({ ok: false, reason: 'the registry does not answer' })
    }
  })
}
