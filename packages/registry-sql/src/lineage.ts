import type { LineageEdge, ReadScope } from '@assets/core'
import type { SqlDialect } from './dialect.js'
import { SqlParams } from './sql-params.js'
import type { SqlSession } from './sql-session.js'

/** Deeper walks are cut here: a lineage longer than this is a data problem, not a query. */
export const MAX_LINEAGE_DEPTH = 1000

interface EdgeRow {
  from_key: string
  from_version: string
  relation: string
  to_key: string
  to_version: string
  depth: number | string
}

/**
 * Walks the relationship edges from one version. `up` follows an asset's own relationships
 * (what it came from), `down` the edges pointing at it (what came from it), `both` merges the
 * two, keeping the smallest depth of an edge met both ways. The caller runs it in one snapshot
 * so that both directions see the same catalogue.
 */
export async function walkLineage(
  s: SqlSession,
  d: SqlDialect,
  start: { key: string; version: string },
  direction: 'up' | 'down' | 'both',
  depth: number,
  scope: ReadScope,
): Promise<LineageEdge[]> {
  const limit = Math.min(Math.floor(depth), MAX_LINEAGE_DEPTH)
  if (limit < 1) return []
  const directions: Array<'up' | 'down'> = direction === 'both' ? ['up', 'down'] : [direction]
  const edges = new Map<string, LineageEdge>()
  for (const way of directions) {
    const { sql, params } = lineageSql(d, way, start, limit, scope)
    for (const row of await s.all<EdgeRow>(sql, params)) {
      const id = JSON.stringify([row.from_key, row.from_version, row.relation, row.to_key, row.to_version])
      const rowDepth = Number(row.depth)
      const known = edges.get(id)
      if (!known || known.depth > rowDepth) {
        edges.set(id, {
          from: { key: row.from_key, version: row.from_version },
          relation: row.relation,
          to: { key: row.to_key, version: row.to_version },
          depth: rowDepth,
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
  d: SqlDialect,
  direction: 'up' | 'down',
  start: { key: string; version: string },
  depth: number,
  scope: ReadScope,
): { sql: string; params: SqlParams['values'] } {
  const params = new SqlParams((i) => d.placeholder(i))
  const [near, far] = direction === 'up' ? ['from', 'to'] : ['to', 'from']
  const node = (alias: string, end: string): string => d.concat([`${alias}.${end}_key`, `'@'`, `${alias}.${end}_version`])
  // Added once per use: `?` placeholders bind by position.
  const visible = (): string => {
    const readable = d.readable('far.acl', scope, params)
    return readable
      ? `EXISTS (SELECT 1 FROM ${d.tables.versions} AS far WHERE far."key" = e.${far}_key AND far.version = e.${far}_version AND ${readable})`
      : d.TRUE
  }
  const closed = (condition: string): string => `CASE WHEN ${condition} THEN ${d.flag(true)} ELSE ${d.flag(false)} END`
  const anchor = `
      SELECT e.from_key, e.from_version, e.relation, e.to_key, e.to_version, 1,
             ${d.trailSeed(d.concat([`'|'`, node('e', near), `'|'`, node('e', far), `'|'`]))},
             ${closed('e.from_key = e.to_key AND e.from_version = e.to_version')}
      FROM ${d.tables.relationships} AS e
      WHERE e.${near}_key = ${params.add(start.key)} AND e.${near}_version = ${params.add(start.version)} AND ${visible()}`
  const step = `
      SELECT e.from_key, e.from_version, e.relation, e.to_key, e.to_version, w.depth + 1,
             ${d.concat(['w.trail', node('e', far), `'|'`])},
             ${closed(d.includes('w.trail', d.concat([`'|'`, node('e', far), `'|'`])))}
      FROM walk AS w
      JOIN ${d.tables.relationships} AS e ON e.${near}_key = w.${far}_key AND e.${near}_version = w.${far}_version
      WHERE NOT (${d.isSet('w.closed')}) AND w.depth < ${params.add(depth)} AND ${visible()}`
  const sql = `
    WITH RECURSIVE walk(from_key, from_version, relation, to_key, to_version, depth, trail, closed) AS (${anchor}
      UNION ALL${step}
    )
    SELECT from_key, from_version, relation, to_key, to_version, min(depth) AS depth
    FROM walk
    GROUP BY from_key, from_version, relation, to_key, to_version
    ORDER BY depth, from_key, from_version, relation, to_key, to_version`
  return { sql, params: params.values }
}
