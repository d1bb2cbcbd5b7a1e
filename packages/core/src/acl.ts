import { InvalidInputError } from './errors/index.js'

/** `user:alice`, `group:lab`, `role:admin`, or `*` for everyone. */
export type Principal = string

export type Permission = 'read' | 'write' | 'admin'

/**
 * Who may do what with an asset. `owner` has every permission; `admin` implies `write`, which
 * implies `read`. Stored per version; a new version inherits the previous one's ACL.
 */
export interface AccessControl {
  owner: Principal
  read: Principal[]
  write: Principal[]
  admin: Principal[]
}

/** Who is asking. Roles and groups come from config or from the caller's own identity system. */
export interface Actor {
  user: string
  groups?: string[]
  roles?: string[]
}

/** The role that may do everything, including `gc` and reading every asset. */
export const SUPERUSER_ROLE = 'admin'

const PRINCIPAL = /^(\*|(user|group|role):[A-Za-z0-9._@+-]{1,128})$/

export function validatePrincipal(principal: unknown): Principal {
  if (typeof principal !== 'string' || !PRINCIPAL.test(principal)) {
    throw new InvalidInputError(
      `invalid principal ${JSON.stringify(principal)}: expected user:<name>, group:<name>, role:<name> or *`,
    )
  }
  return principal
}

export function validateActor(actor: Actor): Actor {
  validatePrincipal(`user:${actor.user}`)
  for (const g of actor.groups ?? []) validatePrincipal(`group:${g}`)
  for (const r of actor.roles ?? []) validatePrincipal(`role:${r}`)
  return actor
}

/** Every principal an actor answers to, `*` included: what registries match ACLs against. */
export function principalsOf(actor: Actor): Principal[] {
  return [
    '*',
    `user:${actor.user}`,
    ...(actor.groups ?? []).map((g) => `group:${g}`),
    ...(actor.roles ?? []).map((r) => `role:${r}`),
  ]
}

export function isSuperuser(actor: Actor): boolean {
  return (actor.roles ?? []).includes(SUPERUSER_ROLE)
}

const IMPLIED_BY: Record<Permission, Array<keyof Omit<AccessControl, 'owner'>>> = {
  read: ['read', 'write', 'admin'],
  write: ['write', 'admin'],
  admin: ['admin'],
}

/** Which ACL lists grant a permission: the lists registries search in their own queries. */
export function listsGranting(permission: Permission): Array<keyof Omit<AccessControl, 'owner'>> {
  return IMPLIED_BY[permission]
}

export function can(actor: Actor, acl: AccessControl, permission: Permission): boolean {
  if (isSuperuser(actor)) return true
  const mine = new Set(principalsOf(actor))
  if (mine.has(acl.owner)) return true
  return IMPLIED_BY[permission].some((list) => acl[list].some((p) => mine.has(p)))
}

/** The ACL of a new key: its creator owns it, everyone may read it unless told otherwise. */
export function defaultAccessControl(actor: Actor, overrides: Partial<AccessControl> = {}): AccessControl {
  return normalizeAccessControl({ owner: `user:${actor.user}`, read: ['*'], write: [], admin: [], ...overrides })
}

export function normalizeAccessControl(acl: Partial<AccessControl> & { owner: string }): AccessControl {
  const list = (v: unknown, name: string): Principal[] => {
    if (v === undefined) return []
    if (!Array.isArray(v)) throw new InvalidInputError(`access control "${name}" must be a list of principals`)
    return [...new Set(v.map(validatePrincipal))].sort()
  }
  return {
    owner: validatePrincipal(acl.owner),
    read: list(acl.read, 'read'),
    write: list(acl.write, 'write'),
    admin: list(acl.admin, 'admin'),
  }
}
