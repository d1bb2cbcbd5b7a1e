import type { LineageEdge, ReadScope } from '@assets/core'
import type BetterSqlite3 from 'better-sqlite3'
import { readableSql } from './access-sql.js'
import type { SqlFragment } from './sql-fragment.js'

/** Deeper walks are cut here: a lineage longer than this is a data problem, not a query. */
export const MAX_LINEAGE_DEPTH = 1000

interface EdgeRow {
  from_key: string
  from_version: string
  relation: string
  to_key: string
  to_version: string
  depth: number
}

/**
 * Walks the relationship edges from one version. `up` follows an asset's own relationships
 * (what it came from), `down` the edges pointing at it (what came from it), `both` merges the
 * two, keeping the smallest depth of an edge met both ways.
 */
export function walkLineage(
  db: BetterSqlite3.Database,
  start: { key: string; version: string },
  direction: 'up' | 'down' | 'both',
  depth: number,
  scope: ReadScope,
): LineageEdge[] {
  const limit = Math.min(Math.floor(depth), MAX_LINEAGE_DEPTH)
  if (limit < 1) return []
  const directions: Array<'up' | 'down'> = direction === 'both' ? ['up', 'down'] : [direction]
  const edges = new Map<string, LineageEdge>()
  for (const d of directions) {
    const { sql, params } = lineageSql(d, start, limit, scope)
    for (const row of db.prepare<unknown[], EdgeRow>(sql).all(...params)) {
      const id = JSON.stringify([row.from_key, row.from_version, row.relation, row.to_key, row.to_version])
      const known = edges.get(id)
      if (!known || known.depth > row.depth) {
        edges.set(id, {
          from: { key: row.from_key, version: row.from_version },
          relation: row.relation,
          to: { key: row.to_key, version: row.to_version },
          depth: row.depth,
        })
      }
    }
  }
  return [...edges.values()].sort((a, b) => a.depth - b.depth)
}

/**
 * One recursive query per direction. `trail` lists the nodes on the path walked so far; an
 * edge back onto the trail is reported but not followed, so cycles end. An edge whose far end
 * the scope cannot read is left out and not walked through, so hidden assets do not leak as
 * stepping stones. A superuser also sees edges to versions that are not (or no longer)
 * registered.
 */
function lineageSql(direction: 'up' | 'down', start: { key: string; version: string }, depth: number, scope: ReadScope): SqlFragment {
  const [near, far] = direction === 'up' ? ['from', 'to'] : ['to', 'from']
  const node = (alias: string, end: string): string => `${alias}.${end}_key || '@' || ${alias}.${end}_version`
  const readable = readableSql('far.acl', scope)
  const visible = readable
    ? `EXISTS (SELECT 1 FROM versions AS far WHERE far.key = e.${far}_key AND far.version = e.${far}_version AND ${readable.sql})`
    : '1'
  const visibleParams = readable?.params ?? []
  const sql = `
    WITH RECURSIVE walk(from_key, from_version, relation, to_key, to_version, depth, trail, closed) AS (
      SELECT e.from_key, e.from_version, e.relation, e.to_key, e.to_version, 1,
             '|' || ${node('e', near)} || '|' || ${node('e', far)} || '|',
             e.from_key = e.to_key AND e.from_version = e.to_version
      FROM relationships AS e
      WHERE e.${near}_key = ? AND e.${near}_version = ? AND ${visible}
      UNION ALL
      SELECT e.from_key, e.from_version, e.relation, e.to_key, e.to_version, w.depth + 1,
             w.trail || ${node('e', far)} || '|',
             instr(w.trail, '|' || ${node('e', far)} || '|') > 0
      FROM walk AS w
      JOIN relationships AS e ON e.${near}_key = w.${far}_key AND e.${near}_version = w.${far}_version
      WHERE w.closed = 0 AND w.depth < ? AND ${visible}
    )
    SELECT from_key, from_version, relation, to_key, to_version, min(depth) AS depth
    FROM walk
    GROUP BY from_key, from_version, relation, to_key, to_version
    ORDER BY depth, from_key, from_version, relation, to_key, to_version`
  return { sql, params: [start.key, start.version, ...visibleParams, depth, ...visibleParams] }
}
