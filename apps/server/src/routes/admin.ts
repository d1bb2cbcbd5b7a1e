import { AccessDeniedError, type Actor, type ApiToken, InvalidInputError, isSuperuser, mintApiToken, NotFoundError, UnsupportedOperationError, validateActor } from '@assets/core'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ActorSchema, GcBody, TokenBody, VerifyBody } from '../schemas.js'
import type { ServerContext } from '../server-context.js'

const MAX_TOKEN_LIFETIME_MS = 10 * 365.25 * 24 * 3600 * 1000

function requireAdmin(actor: Actor, action: string): void {
  if (!isSuperuser(actor)) throw new AccessDeniedError(`user "${actor.user}" may not ${action}: it needs the admin role`)
}

/** Who the token is, maintenance (verify, gc) and, for admins, the tokens themselves. */
export function adminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const tokens = () => {
    const store = ctx.manager.registry.tokens
    if (!store) throw new UnsupportedOperationError('this registry keeps no API tokens')
    return store
  }

  app.get('/v1/whoami', { schema: { tags: ['identity'], summary: 'The actor this token acts as', response: { 200: ActorSchema } } }, async (request) => ({
    user: request.actor.user,
    groups: request.actor.groups ?? [],
    roles: request.actor.roles ?? [],
  }))

  // Re-reading the store costs the server (and its bucket) what the caller does not pay: an
  // admin's maintenance, stopped when the caller goes away.
  app.post('/v1/verify', { schema: { tags: ['maintenance'], summary: 'Re-read stored content against its digests (admin role)', body: VerifyBody } }, async (request) => {
    requireAdmin(request.actor, 'verify the store')
    const { key, deep } = request.body as { key?: string; deep?: boolean }
    const abort = new AbortController()
    request.raw.on('close', () => abort.abort())
    return request.assets.verify(key, { deep, signal: abort.signal })
  })

  app.post('/v1/gc', { schema: { tags: ['maintenance'], summary: 'Remove unreferenced content and expired versions (admin role)', body: GcBody } }, async (request) =>
    request.assets.gc(request.body as { dryRun?: boolean; graceSeconds?: number }),
  )

  app.get('/v1/tokens', { schema: { tags: ['identity'], summary: 'Every API token, without secrets (admin role)' } }, async (request) => {
    requireAdmin(request.actor, 'list tokens')
    return tokens().listTokens()
  })

  app.post('/v1/tokens', { schema: { tags: ['identity'], summary: 'Create an API token (admin role); the secret is shown once', body: TokenBody } }, async (request, reply) => {
    requireAdmin(request.actor, 'create tokens')
    const body = request.body as { user: string; groups?: string[]; roles?: string[]; expiresInSeconds?: number; expiresAt?: string; description?: string; id?: string; hash?: string }
    const actor = validateActor({ user: body.user, groups: body.groups ?? [], roles: body.roles ?? [] })
    // An admin's client may mint the secret itself (`assets token create` through the server) and send only its hash.
    const minted = body.id !== undefined && body.hash !== undefined ? { id: body.id, hash: body.hash, token: undefined } : mintApiToken()
    const expires = body.expiresInSeconds !== undefined ? Date.now() + body.expiresInSeconds * 1000 : body.expiresAt === undefined ? undefined : Date.parse(body.expiresAt)
    // A token for ever is one nobody remembers to revoke; a time already passed is a mistake.
    if (expires !== undefined && !(Number.isFinite(expires) && expires > Date.now() && expires <= Date.now() + MAX_TOKEN_LIFETIME_MS)) {
      throw new InvalidInputError('a token expires at a future time at most ten years away')
    }
    const expiresAt = expires === undefined ? undefined : new Date(expires).toISOString()
    const token: ApiToken = await tokens().createToken(
      { id: minted.id, hash: minted.hash, user: actor.user, groups: actor.groups ?? [], roles: actor.roles ?? [], description: body.description, expiresAt },
      { actor: `user:${request.actor.user}` },
    )
    return reply.code(201).send(minted.token === undefined ? token : { ...token, token: minted.token })
  })

  app.delete(
    '/v1/tokens/:id',
    { schema: { tags: ['identity'], summary: 'Revoke an API token (admin role)', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }) } },
    async (request, reply) => {
      requireAdmin(request.actor, 'revoke tokens')
      const { id } = request.params as { id: string }
      if (!(await tokens().revokeToken(id, { actor: `user:${request.actor.user}` }))) throw new NotFoundError(`no token ${id}`)
      return reply.send({ revoked: true })
    },
  )
}
