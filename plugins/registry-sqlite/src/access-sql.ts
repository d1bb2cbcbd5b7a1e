import { listsGranting, type ReadScope } from '@assets/core'
import type { SqlFragment } from './sql-fragment.js'

/**
 * The read check as SQL on an ACL JSON column, or undefined for a superuser. A row is visible
 * when its owner or any principal of a list granting read (read, write, admin) is one of the
 * scope's principals. `*` is always added to them: an ACL granting `*` grants everyone,
 * whether or not the caller listed it.
 */
export function readableSql(aclColumn: string, scope: ReadScope): SqlFragment | undefined {
  if (scope.superuser) return undefined
  const principals = [...new Set(['*', ...scope.principals.filter((p) => typeof p === 'string')])]
  const lists = listsGranting('read').map((list) => `$.${list}`)
  const granted = lists.map(() => `SELECT value FROM json_each(${aclColumn}, ?)`).join(' UNION ALL ')
  return {
    sql: `EXISTS (SELECT 1 FROM json_each(?) AS principal WHERE principal.value = json_extract(${aclColumn}, ?) OR principal.value IN (${granted}))`,
    params: [JSON.stringify(principals), '$.owner', ...lists],
  }
}
