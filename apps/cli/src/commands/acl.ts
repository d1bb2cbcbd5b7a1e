import { type AccessControl, can, NotFoundError, type Permission } from '@assets/core'
import { stringOption, UsageError } from '../args.js'
import { parsePrincipal, parseRef } from '../asset-ref.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { fields } from '../output.js'

const PERMISSIONS: Permission[] = ['read', 'write', 'admin']

function showAcl(acl: AccessControl): string {
  const list = (l: string[]) => (l.length === 0 ? '-' : l.join(', '))
  return fields([
    ['owner', acl.owner],
    ['read', list(acl.read)],
    ['write', list(acl.write)],
    ['admin', list(acl.admin)],
  ])
}

export async function aclShow(ctx: CommandContext): Promise<number> {
  const { key, ref = 'latest' } = parseRef(ctx.positionals[0]!)
  const record = await withManager(ctx.globals, (manager) => manager.getMetadata(key, ref))
  const doc = { key, version: record.version, accessControl: record.accessControl }
  ctx.out.result(doc, () => `${key}@${record.version}\n${showAcl(record.accessControl)}`)
  return 0
}

export const aclGrant = (ctx: CommandContext) => change(ctx, 'grant')
export const aclRevoke = (ctx: CommandContext) => change(ctx, 'revoke')

/** Reads the current ACL, adds or removes one principal, writes it back with setAccessControl. */
async function change(ctx: CommandContext, action: 'grant' | 'revoke'): Promise<number> {
  const [target = '', permission = '', who = ''] = ctx.positionals
  if (!(PERMISSIONS as string[]).includes(permission)) {
    throw new UsageError(`expected read, write or admin, got ${JSON.stringify(permission)}`)
  }
  const list = permission as Permission
  const principal = parsePrincipal(who)
  const { key, ref } = parseRef(target)
  const given = stringOption(ctx.values, 'version')
  if (ref !== undefined && given !== undefined) throw new UsageError('give the version either as <key>@<version> or with --version')
  const result = await withManager(ctx.globals, async (manager) => {
    // Without a version every version gets the ACL the latest one has, changed.
    const current = await manager.getMetadata(key, given ?? ref ?? 'latest')
    const version = (given ?? ref) === undefined ? undefined : current.version
    const acl = current.accessControl
    const next = new Set(acl[list])
    const changed = action === 'grant' ? !next.has(principal) : next.has(principal)
    // Like `tag --rm` of a tag that is not there: nothing to remove is an error, not "revoked".
    // Only for an actor who could revoke it; anyone else is refused by setAccessControl below.
    if (action === 'revoke' && !changed && can(manager.actor, acl, 'admin')) {
      throw new NotFoundError(`${principal} has no ${list} grant on ${key}${version === undefined ? '' : `@${version}`}: nothing to revoke`)
    }
    if (action === 'grant') next.add(principal)
    else next.delete(principal)
    const accessControl = await manager.setAccessControl(key, { ...acl, [list]: [...next] }, version)
    return { key, version: version ?? null, accessControl, changed }
  })
  ctx.out.result(result, () => `${action === 'grant' ? 'granted' : 'revoked'} ${list} ${action === 'grant' ? 'to' : 'from'} ${principal} on ${key}${result.version ? `@${result.version}` : ''}`)
  if (!result.changed) ctx.out.note(`${principal} ${action === 'grant' ? 'already had' : 'had no'} ${list} access in that list`)
  if (action === 'revoke') {
    const name = principal.startsWith('user:') ? principal.slice(5) : undefined
    // A user keeps what the owner, `*` or a higher list still gives: say so rather than surprise.
    if (name !== undefined && can({ user: name }, result.accessControl, list)) {
      ctx.out.note(`note: ${principal} still has ${list} access through the owner, "*" or a higher list`)
    }
  }
  return 0
}
