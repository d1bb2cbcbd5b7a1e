import { listsGranting, type ReadScope } from '@assets/core'
import { storable } from './metadata-path.js'
import type { SqlParams } from './sql-params.js'

/**
 * The read check on an ACL column as SQL, or undefined for a superuser. A row is visible when
 * its owner, or any principal of a list granting read (read, write, admin), is one of the
 * scope's principals. `*` is always added to them: an ACL granting `*` grants everyone,
 * whether or not the caller listed it. Principals and list names are bound values; one
 * holding a NUL character cannot match a stored principal and is left out.
 */
export function readableSql(aclColumn: string, scope: ReadScope, params: SqlParams): string | undefined {
  if (scope.superuser) return undefined
  const principals = params.add([...new Set(['*', ...scope.principals.filter((p) => typeof p === 'string' && storable(p))])])
  const lists = listsGranting('read').map((list) => `(${aclColumn} -> ${params.add(list)}::text) ?| ${principals}::text[]`)
  return `((${aclColumn} ->> 'owner') = ANY(${principals}::text[]) OR ${lists.join(' OR ')})`
}
