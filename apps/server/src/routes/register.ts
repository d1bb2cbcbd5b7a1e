import { isDeepStrictEqual } from 'node:util'
import {
  type AccessControl,
  type AssetRecord,
  type BaseAssetManager,
  checkLocation,
  defaultAccessControl,
  IntegrityError,
  InvalidInputError,
  NotFoundError,
  normalizeAccessControl,
  type PutOptions,
  runPool,
  type StoredContentClaim,
} from '@assets/core'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { keyParam } from '../key-param.js'
import { LeaseBody, RegisterBody } from '../schemas.js'
import type { ServerContext } from '../server-context.js'

const Key = Type.Object({ '*': Type.String() })
const BLOB = /^blobs\/sha256\/[0-9a-f]{2}\/([0-9a-f]{64})$/

type RegisterRequest = { content: StoredContentClaim; metadata?: Record<string, unknown>; options?: PutOptions & { accessControl?: AccessControl } }

/** What a put of `key` by this actor gets when it chooses no ACL: the previous version's, else the default. */
async function defaultAclFor(assets: BaseAssetManager, ctx: ServerContext, key: string): Promise<AccessControl> {
  let versions: AssetRecord[] = []
  try {
    versions = await assets.listVersions(key, { includeDeleted: true })
  } catch (error) {
    if (!NotFoundError.isInstance(error)) throw error
  }
  const previous = versions.find((r) => !r.deletedAt) ?? versions[0]
  return previous?.accessControl ?? defaultAccessControl(assets.actor, ctx.manager.stack().defaultAccessControl)
}

/**
 * Refuses content whose bytes this user has not sent (see UploadArea): a file's blob, or a
 * folder's manifest and every file. The answer is the same whether or not anyone stored them.
 */
async function requirePossession(ctx: ServerContext, user: string, content: StoredContentClaim): Promise<void> {
  const notSent = () => new IntegrityError(`content ${content.digest} was not uploaded by user "${user}": upload its bytes first (PUT /v1/blobs/…); nothing was registered`)
  const hexOf = (location: string) => BLOB.exec(location)?.[1]
  const manifestHex = hexOf(content.location)
  if (manifestHex === undefined || `sha256:${manifestHex}` !== content.digest) return // putStored refuses it with the reason
  if (!(await ctx.uploads.holds(user, content.location, manifestHex))) throw notSent()
  if (content.type !== 'folder') return
  const files = await ctx.manifests.files(content.location, content.digest)
  const missing = await runPool([...files.keys()], 16, async (location) => !(await ctx.uploads.holds(user, location, hexOf(location) as string)))
  if (missing.some(Boolean)) throw notSent()
}

/**
 * Registration of uploaded content: the manager's own put, from content the server stored
 * itself (putStored checks that every blob is there), as the token's actor. A client sends
 * the ACL its put computed; only one that differs from what the server would give is a choice
 * (which the manager then allows to admins alone).
 */
export function registerRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/v1/register/*', { schema: { tags: ['content'], summary: 'Register a version whose content was uploaded', params: Key, body: RegisterBody } }, async (request, reply) => {
    const key = keyParam(request.params)
    const { content, metadata, options = {} } = request.body as RegisterRequest
    await requirePossession(ctx, request.actor.user, content)
    const { accessControl, audit, ...rest } = options
    // Audit entries a client adds (a model's compatibility override) are its claims, not the
    // server's findings: kept, under a name that says so.
    const claimed = audit?.map((entry) => ({ ...entry, action: `client:${entry.action}` }))
    const chosen = accessControl !== undefined && !isDeepStrictEqual(normalizeAccessControl(accessControl), normalizeAccessControl(await defaultAclFor(request.assets, ctx, key)))
    const result = await request.assets.putStored(key, content, metadata ?? {}, { ...rest, ...(claimed ? { audit: claimed } : {}), ...(chosen ? { accessControl } : {}) })
    const { created, ...record } = result
    return reply.code(created ? 201 : 200).send({ created, record })
  })

  // Leases of a client's put, so that gc on the server never removes what that put is uploading
  // or reusing. A holder name is the client's; the server keeps each user's apart.
  app.post('/v1/leases', { schema: { tags: ['content'], summary: 'Hold, renew or release content leases of a put', body: LeaseBody } }, async (request) => {
    const { op, holder, locations, ttlMs } = request.body as { op: 'hold' | 'renew' | 'release'; holder: string; locations?: string[]; ttlMs?: number }
    for (const location of locations ?? []) {
      checkLocation('server', location)
      if (!BLOB.test(location)) throw new InvalidInputError(`a put holds blobs only, not ${JSON.stringify(location)}`)
    }
    const registry = ctx.manager.registry
    const owner = `remote:${request.actor.user}:${holder}`
    if (op === 'hold') {
      if (!locations || ttlMs === undefined) throw new InvalidInputError('hold needs locations and ttlMs')
      // The put will need this user's receipts for those blobs too: gc must not take them meanwhile.
      const receipts = locations.flatMap((location) => {
        const hex = BLOB.exec(location)?.[1]
        return hex === undefined ? [] : [ctx.uploads.receiptOf(request.actor.user, hex)]
      })
      const { refused } = await registry.holdContent(owner, [...locations, ...receipts], ttlMs)
      return { refused: refused.filter((location) => !receipts.includes(location)) }
    }
    if (op === 'renew') {
      if (ttlMs === undefined) throw new InvalidInputError('renew needs ttlMs')
      await registry.renewContent(owner, ttlMs)
      return {}
    }
    await registry.releaseContent(owner, locations)
    return {}
  })
}
