import { type Actor, can, isSuperuser, type Permission, principalsOf } from '../acl.js'
import type { AssetRecord, Relationship } from '../asset-record.js'
import type { ReadScope, Registry } from '../contracts/registry.js'
import { AccessDeniedError, NotFoundError } from '../errors/index.js'

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

/**
 * "Missing" and "not readable" look the same to a reader (DESIGN §5.9): one code and one
 * message, whichever it is, so that no answer tells an actor that a key, version or tag exists
 * which they may not read. Only an actor who can read gets ACCESS_DENIED (for a write).
 */
export function notFound(key: string, ref = 'latest'): NotFoundError {
  return new NotFoundError(`asset ${ref === 'latest' ? key : `${key}@${ref}`} does not exist or is not readable`)
}

export function canRead(actor: Actor, record: AssetRecord): boolean {
  return can(actor, record.accessControl, 'read')
}

/**
 * The relationships a reader may see: those whose target version is registered and readable,
 * the same rule the registries apply to lineage edges. A superuser sees every edge.
 */
export async function visibleRelationships(registry: Registry, actor: Actor, relationships: Relationship[], seen = new Map<string, Promise<boolean>>()): Promise<Relationship[]> {
  if (isSuperuser(actor) || relationships.length === 0) return relationships
  const visible = await Promise.all(
    relationships.map((r) => {
      const id = `${r.key}@${r.version}`
      let check = seen.get(id)
      if (!check) {
        check = registry.get(r.key, r.version).then((target) => target !== null && canRead(actor, target))
        seen.set(id, check)
      }
      return check
    }),
  )
  return relationships.filter((_, i) => visible[i])
}

/** A record as a reader is shown it: relationships to what they may not read left out. */
export async function presentRecord<T extends AssetRecord>(registry: Registry, actor: Actor, record: T, seen?: Map<string, Promise<boolean>>): Promise<T> {
  if (isSuperuser(actor) || !Array.isArray(record.relationships) || record.relationships.length === 0) return record
  return { ...record, relationships: await visibleRelationships(registry, actor, record.relationships, seen) }
}
