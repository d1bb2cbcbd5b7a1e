import { type Actor, can, isSuperuser, type Permission, principalsOf } from '../acl.js'
import type { AssetRecord } from '../asset-record.js'
import type { ReadScope } from '../contracts/registry.js'
import { AccessDeniedError } from '../errors/index.js'

/** Throws AccessDeniedError unless `actor` holds `permission` on this version. */
export function requirePermission(actor: Actor, record: AssetRecord, permission: Permission, action: string): void {
  if (!can(actor, record.accessControl, permission)) {
    throw new AccessDeniedError(
      `user "${actor.user}" may not ${action} ${record.key}@${record.version}: it needs ${permission} access`,
    )
  }
}

export function requireSuperuser(actor: Actor, action: string): void {
  if (!isSuperuser(actor)) {
    throw new AccessDeniedError(`user "${actor.user}" may not ${action}: it needs the admin role`)
  }
}

export function readScope(actor: Actor): ReadScope {
  return { principals: principalsOf(actor), superuser: isSuperuser(actor) }
}
