import type { LineageEdge, ReadScope } from '@assets/core'
import { readableSql } from './access-sql.js'
import type { Queryable } from './postgres-client.js'
import { run, SqlParams } from './sql-params.js'
import type { Tables } from './tables.js'

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
 * two, keeping the smallest depth of an edge met both ways. The caller runs it in one
 * snapshot so that both directions see the same catalogue.
 */
export async function walkLineage(
  db: Queryable,
  tables: Tables,
  start: { key: string; version: string },
  direction: 'up' | 'down' | 'both',
  depth: number,
  scope: ReadScope,
): Promise<LineageEdge[]> {
  const limit = Math.min(Math.floor(depth), MAX_LINEAGE_DEPTH)
  if (limit < 1) return []
  const directions: Array<'up' | 'down'> = direction === 'both' ? ['up', 'down'] : [direction]
  const edges = new Map<string, LineageEdge>()
  for (const d of directions) {
    const { text, params } = lineageSql(tables, d, start, limit, scope)
    for (const row of await run<EdgeRow>(db, text, params)) {
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
function lineageSql(
  tables: Tables,
  direction: 'up' | 'down',
  start: { key: string; version: string },
  depth: number,
  scope: ReadScope,
): { text: string; params: SqlParams['values'] } {
  const params = new SqlParams()
  const [near, far] = direction === 'up' ? ['from', 'to'] : ['to', 'from']
  const node = (alias: string, end: string): string => `${alias}.${end}_key || '@' || ${alias}.${end}_version`
  const readable = readableSql('far.acl', scope, params)
  const visible = readable
    ? `EXISTS (SELECT 1 FROM ${tables.versions} AS far WHERE far.key = e.${far}_key AND far.version = e.${far}_version AND ${readable})`
    : 'TRUE'
  const text = `
    WITH RECURSIVE walk(from_key, from_version, relation, to_key, to_version, depth, trail, closed) AS (
      SELECT e.from_key, e.from_version, e.relation, e.to_key, e.to_version, 1,
             ARRAY[${node('e', near)}, ${node('e', far)}],
             e.from_key = e.to_key AND e.from_version = e.to_version
      FROM ${tables.relationships} AS e
      WHERE e.${near}_key = ${params.add(start.key)} AND e.${near}_version = ${params.add(start.version)} AND ${visible}
      UNION ALL
      SELECT e.from_key, e.from_version, e.relation, e.to_key, e.to_version, w.depth + 1,
             w.trail || (${node('e', far)}),
             (${node('e', far)}) = ANY(w.trail)
      FROM walk AS w
      JOIN ${tables.relationships} AS e ON e.${near}_key = w.${far}_key AND e.${near}_version = w.${far}_version
      WHERE NOT w.closed AND w.depth < ${params.add(depth)} AND ${visible}
    )
    SELECT from_key, from_version, relation, to_key, to_version, min(depth)::int AS depth
    FROM walk
    GROUP BY from_key, from_version, relation, to_key, to_version
    ORDER BY depth, from_key, from_version, relation, to_key, to_version`
  return { text, params: params.values }
}
