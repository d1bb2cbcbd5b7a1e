import {
  AccessDeniedError,
  type ApiToken,
  type BaseAssetManager,
  hasErrorCode,
  isSuperuser,
  mintApiToken,
  NotFoundError,
  parseDuration,
  type TokenStore,
  UnsupportedOperationError,
} from '@assets/core'
import { stringOption, UsageError } from '../args.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { formatTime, table } from '../output.js'

/**
 * The registry's token store, for an admin on a stack whose registry keeps tokens (the SQL
 * registries), or through an asset server with an admin's token (its `/v1/tokens`); a registry
 * with neither gets UNSUPPORTED_OPERATION.
 */
function tokenStore(manager: BaseAssetManager, action: string): TokenStore {
  if (!isSuperuser(manager.actor)) throw new AccessDeniedError(`user "${manager.actor.user}" may not ${action}: it needs the admin role`)
  const tokens = manager.registry.tokens
  if (!tokens) throw new UnsupportedOperationError(`registry "${manager.registry.name}" keeps no API tokens: use a SQL registry (sqlite, postgres, mysql)`)
  return tokens
}

function actorOf(manager: BaseAssetManager): string {
  return `user:${manager.actor.user}`
}

/** `a,b,,c` → [a, b, c]: names are checked by the registry, as principals are. */
function namesOption(ctx: CommandContext, name: string): string[] {
  const raw = stringOption(ctx.values, name)
  if (raw === undefined) return []
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

function expiresAt(ctx: CommandContext, now = Date.now()): string | undefined {
  const raw = stringOption(ctx.values, 'expires')
  if (raw === undefined) return undefined
  try {
    return new Date(now + parseDuration(raw)).toISOString()
  } catch (error) {
    if (hasErrorCode(error, 'INVALID_INPUT')) throw new UsageError(`--expires ${JSON.stringify(raw)}: expected a duration such as 30d, 12h, 90m or 3600s (at most ten years)`)
    throw error
  }
}

function state(token: ApiToken, now = Date.now()): string {
  if (token.revokedAt !== undefined) return `revoked ${formatTime(token.revokedAt)}`
  if (token.expiresAt !== undefined && Date.parse(token.expiresAt) <= now) return 'expired'
  return 'active'
}

export async function tokenCreate(ctx: CommandContext): Promise<number> {
  const user = stringOption(ctx.values, 'user')
  if (user === undefined || user === '') throw new UsageError('token create needs --user <name>: the user the token acts as')
  const groups = namesOption(ctx, 'groups')
  const roles = namesOption(ctx, 'roles')
  const description = stringOption(ctx.values, 'description')
  const expires = expiresAt(ctx)
  const minted = mintApiToken()
  const created = await withManager(ctx.globals, (manager) =>
    tokenStore(manager, 'create API tokens').createToken(
      { id: minted.id, hash: minted.hash, user, groups, roles, ...(description === undefined ? {} : { description }), ...(expires === undefined ? {} : { expiresAt: expires }) },
      { actor: actorOf(manager) },
    ),
  )
  const doc = {
    token: minted.token,
    id: created.id,
    user: created.user,
    groups: created.groups,
    roles: created.roles,
    expiresAt: created.expiresAt ?? null,
    ...(created.description === undefined ? {} : { description: created.description }),
  }
  ctx.out.result(doc, () => minted.token)
  ctx.out.note(
    `token ${created.id} for user ${created.user}${created.expiresAt ? `, expires ${formatTime(created.expiresAt)}` : ', never expires'}: ` +
      'copy it now, it is not shown again',
  )
  return 0
}

export async function tokenLs(ctx: CommandContext): Promise<number> {
  const tokens = await withManager(ctx.globals, (manager) => tokenStore(manager, 'list API tokens').listTokens())
  ctx.out.result({ tokens }, () =>
    table(
      ['ID', 'USER', 'GROUPS', 'ROLES', 'CREATED', 'EXPIRES', 'STATE', 'DESCRIPTION'],
      tokens.map((t) => [
        t.id,
        t.user,
        t.groups.join(','),
        t.roles.join(','),
        formatTime(t.createdAt),
        t.expiresAt ? formatTime(t.expiresAt) : 'never',
        state(t),
        t.description ?? '',
      ]),
    ),
  )
  if (tokens.length === 0) ctx.out.note('no API tokens')
  return 0
}

export async function tokenRevoke(ctx: CommandContext): Promise<number> {
  const id = ctx.positionals[0] as string
  const found = await withManager(ctx.globals, (manager) => tokenStore(manager, 'revoke API tokens').revokeToken(id, { actor: actorOf(manager) }))
  if (!found) throw new NotFoundError(`no API token with id ${JSON.stringify(id)}`)
  ctx.out.result({ id, revoked: true }, () => `revoked API token ${id}`)
  return 0
}
