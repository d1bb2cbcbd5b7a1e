import type { TSchema } from '@sinclair/typebox'
import type { ValidationIssue } from '../errors/index.js'
import { closestName } from './closest-name.js'
import { listOrganisms, normalizeOrganism } from './organisms.js'
import type { SemanticCheck } from './schema-parts.js'
import { show } from './schema-issues.js'

type Visit = (schema: TSchema & Record<string, unknown>, value: unknown, path: string[]) => unknown

/**
 * Walks `value` along `schema` (object properties and array items) and replaces each value with
 * what `visit` returns. Values of the wrong shape are skipped: typebox reports those.
 */
export function mapAlongSchema(schema: TSchema, value: unknown, visit: Visit, path: string[] = []): unknown {
  const s = schema as TSchema & Record<string, unknown>
  const visited = visit(s, value, path)
  if (s.type === 'object' && isRecord(visited) && isRecord(s.properties)) {
    for (const [name, child] of Object.entries(s.properties as Record<string, TSchema>)) {
      if (!Object.hasOwn(visited, name) || visited[name] === undefined) continue
      visited[name] = mapAlongSchema(child, visited[name], visit, [...path, name])
    }
  } else if (s.type === 'array' && Array.isArray(visited) && isRecord(s.items)) {
    for (let i = 0; i < visited.length; i++) visited[i] = mapAlongSchema(s.items as TSchema, visited[i], visit, [...path, String(i)])
  }
  return visited
}

/** The draft writes axes as bare names (`axes: [cells, genes]`); read those as `{name}`. */
export function expandAxisNames(schema: TSchema, value: unknown): unknown {
  return mapAlongSchema(schema, value, (s, v) => (s.title === 'Axis' && typeof v === 'string' ? { name: v } : v))
}

/** Runs the `x-check` checks, normalising organisms to `NCBITaxon:<id>` in place. */
export function semanticIssues(schema: TSchema, value: unknown, issues: ValidationIssue[]): unknown {
  return mapAlongSchema(schema, value, (s, v, path) => {
    const check = s['x-check'] as SemanticCheck | undefined
    if (check === undefined || typeof v !== 'string') return v
    const problem = CHECKS[check](v)
    if (typeof problem === 'string') return problem
    issues.push({ code: problem.code, path: path.join('/'), message: problem.message })
    return v
  })
}

// A string is the value to keep (an organism becomes its NCBITaxon id); an object is a problem.
type CheckResult = string | { code: string; message: string }

const ORGANISM_SPELLINGS = listOrganisms().flatMap((o) => [o.name, o.enum])

const CHECKS: Record<SemanticCheck, (value: string) => CheckResult> = {
  organism: (value) => {
    const organism = normalizeOrganism(value)
    if (organism !== undefined) return organism.taxon
    const guess = closestName(value.trim().replace(/\s+/g, '_'), ORGANISM_SPELLINGS)
    const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`
    return {
      code: 'UNKNOWN_ORGANISM',
      message: `unknown organism ${show(value)}${hint}: give a known organism's name (homo_sapiens), enum (HUMAN) or taxon id (NCBITaxon:9606)`,
    }
  },
  'date-time': (value) => {
    const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i
    if (iso.test(value) && !Number.isNaN(Date.parse(value))) return value
    return { code: 'INVALID_DATE', message: `must be an ISO 8601 time such as 2025-01-31T12:00:00Z; got ${show(value)}` }
  },
  url: (value) => {
    if (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) return value
    return { code: 'INVALID_URL', message: `must be an http(s) URL; got ${show(value)}` }
  },
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
