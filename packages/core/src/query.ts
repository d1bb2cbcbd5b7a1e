import type { AssetKind, AssetRecord } from './asset-record.js'
import { ASSET_KINDS } from './asset-record.js'
import { InvalidQueryError } from './errors/index.js'

export type Scalar = string | number | boolean | null

/** Conditions on one metadata field. A bare scalar means `$eq`. Dates are ISO strings or Date. */
export interface FieldOperators {
  $eq?: Scalar
  $ne?: Scalar
  $in?: Scalar[]
  $gt?: number | string | Date
  $gte?: number | string | Date
  $lt?: number | string | Date
  $lte?: number | string | Date
  $exists?: boolean
  /** The field is an array that contains this value. */
  $contains?: Scalar
}

export type FieldCondition = Scalar | Date | FieldOperators

export type SortField = 'createdAt' | 'key' | 'version' | 'size' | `metadata.${string}`

export interface AssetQuery {
  /** Metadata conditions by dot path, all of which must hold: `{'organism': 'human', 'stats.n_cells': {$gte: 1000}}`. */
  where?: Record<string, FieldCondition>
  kind?: AssetKind | AssetKind[]
  /** Only versions carrying this tag. */
  tag?: string
  /** Case-insensitive substring of the key or the description. */
  text?: string
  /** Only keys under this prefix (`datasets/`). */
  keyPrefix?: string
  createdAfter?: string | Date
  createdBefore?: string | Date
  /** Every version, not just the latest of each key. */
  allVersions?: boolean
  /** Include soft-deleted versions. */
  includeDeleted?: boolean
  sort?: { field: SortField; order?: 'asc' | 'desc' }
  limit?: number
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string
}

export interface QueryPage {
  items: AssetRecord[]
  nextCursor?: string
}

export const MAX_QUERY_LIMIT = 1000
export const DEFAULT_QUERY_LIMIT = 100
/**
 * Bounds on a query's size, checked before any registry sees it: each value becomes SQL terms
 * and bound parameters, and a backend refuses too many (SQLite's expression depth, the
 * parameter limits of SQLite and PostgreSQL) with an error that is not the caller's to read.
 */
export const MAX_IN_VALUES = 500
export const MAX_QUERY_TERMS = 500

const OPERATORS = new Set(['$eq', '$ne', '$in', '$gt', '$gte', '$lt', '$lte', '$exists', '$contains'])
const PATH_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/

/** A normalised condition: one operator, one value, dates as ISO strings. */
export interface FieldClause {
  path: string[]
  op: '$eq' | '$ne' | '$in' | '$gt' | '$gte' | '$lt' | '$lte' | '$exists' | '$contains'
  value: Scalar | Scalar[] | boolean
}

/** A checked, normalised query: what registries compile into parameterised SQL. */
export interface CompiledQuery {
  clauses: FieldClause[]
  kinds?: AssetKind[]
  tag?: string
  text?: string
  keyPrefix?: string
  createdAfter?: string
  createdBefore?: string
  allVersions: boolean
  includeDeleted: boolean
  sort: { field: 'createdAt' | 'key' | 'version' | 'size' | 'metadata'; path?: string[]; order: 'asc' | 'desc' }
  limit: number
  offset: number
}

function isScalar(v: unknown): v is Scalar {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v)
}

// Only ISO 8601 dates (2024-01-31, 2024-01-31T12:00:00Z …): the JS Date parser would read
// "3" or "n >> 3" as some date, turning a typo into a quiet filter.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/**
 * The instant an ISO 8601 date string names, as `YYYY-MM-DDTHH:MM:SS.sssZ`, or undefined for
 * any other text. Registries store this form beside each metadata string that is a date, so
 * that range operators compare instants as plain text, the same way in every SQL dialect.
 */
export function isoInstant(v: unknown): string | undefined {
  const d = v instanceof Date ? v : typeof v === 'string' && ISO_DATE.test(v) ? new Date(asUtc(v)) : undefined
  // A Date outside years 0000-9999 prints as ±YYYYYY-…, which neither this check nor the
  // registries' text comparison of ISO times reads as a date.
  const iso = d && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined
  return iso !== undefined && ISO_DATE.test(iso) ? iso : undefined
}

/**
 * A date-time without an offset is read as UTC, wherever the process runs (JavaScript would
 * read it as local time): machines sharing a catalogue must agree on what it means. A date
 * alone is UTC already.
 */
function asUtc(text: string): string {
  const [date, time] = text.split(/[T ]/)
  if (time === undefined || /(Z|[+-]\d{2}:?\d{2})$/.test(time)) return text
  return `${date}T${time}Z`
}

function toIso(v: unknown, where: string): string {
  const iso = isoInstant(v)
  if (iso === undefined) throw new InvalidQueryError(`${where}: expected a date, got ${JSON.stringify(v)}`)
  return iso
}

function parsePath(path: string): string[] {
  const segments = path.split('.')
  if (!segments.every((s) => PATH_SEGMENT.test(s))) {
    throw new InvalidQueryError(`invalid metadata path ${JSON.stringify(path)}: use dot-separated names of [A-Za-z0-9_-]`)
  }
  return segments
}

function rangeValue(v: unknown, where: string): number | string {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  // Strings compare as dates: any value that parses as a date is normalised to ISO form so that
  // stored ISO timestamps compare correctly.
  return toIso(v, where)
}

function compileField(path: string, condition: FieldCondition): FieldClause[] {
  const segments = parsePath(path)
  if (condition instanceof Date) return [{ path: segments, op: '$eq', value: condition.toISOString() }]
  if (isScalar(condition)) return [{ path: segments, op: '$eq', value: condition }]
  if (typeof condition !== 'object' || Array.isArray(condition)) {
    throw new InvalidQueryError(`${path}: expected a value or an object of operators`)
  }
  const clauses: FieldClause[] = []
  for (const [op, value] of Object.entries(condition)) {
    const where = `${path}.${op}`
    if (!OPERATORS.has(op)) throw new InvalidQueryError(`${path}: unknown operator ${op} (known: ${[...OPERATORS].join(', ')})`)
    switch (op) {
      case '$eq':
      case '$ne':
      case '$contains':
        if (!isScalar(value)) throw new InvalidQueryError(`${where}: expected a string, number, boolean or null`)
        clauses.push({ path: segments, op, value })
        break
      case '$in':
        if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar)) {
          throw new InvalidQueryError(`${where}: expected a non-empty list of values`)
        }
        if (value.length > MAX_IN_VALUES) throw new InvalidQueryError(`${where}: at most ${MAX_IN_VALUES} values, got ${value.length}`)
        clauses.push({ path: segments, op, value })
        break
      case '$exists':
        if (typeof value !== 'boolean') throw new InvalidQueryError(`${where}: expected true or false`)
        clauses.push({ path: segments, op, value })
        break
      default:
        clauses.push({ path: segments, op: op as FieldClause['op'], value: rangeValue(value, where) })
    }
  }
  return clauses
}

export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url')
}

function decodeCursor(cursor: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o: unknown }
    if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) return o
  } catch {
    // fall through to the error below
  }
  throw new InvalidQueryError('invalid cursor: pass the nextCursor of a previous page unchanged')
}

/** Checks a query and normalises it; every registry compiles the result the same way. */
export function compileQuery(query: AssetQuery = {}): CompiledQuery {
  if (typeof query !== 'object' || query === null) throw new InvalidQueryError('a query must be an object')
  const known = new Set([
    'where', 'kind', 'tag', 'text', 'keyPrefix', 'createdAfter', 'createdBefore', 'allVersions',
    'includeDeleted', 'sort', 'limit', 'cursor',
  ])
  for (const k of Object.keys(query)) if (!known.has(k)) throw new InvalidQueryError(`unknown query field ${JSON.stringify(k)}`)
  // Queries also arrive as parsed JSON: a value of the wrong type is a bad query, not a TypeError.
  for (const k of ['tag', 'text', 'keyPrefix', 'cursor'] as const) {
    if (query[k] !== undefined && typeof query[k] !== 'string') throw new InvalidQueryError(`${k} must be a string`)
  }
  for (const k of ['allVersions', 'includeDeleted'] as const) {
    if (query[k] !== undefined && typeof query[k] !== 'boolean') throw new InvalidQueryError(`${k} must be true or false`)
  }
  if (query.where !== undefined && (typeof query.where !== 'object' || query.where === null || Array.isArray(query.where))) {
    throw new InvalidQueryError('where must be an object of field conditions')
  }
  if (query.sort !== undefined && (typeof query.sort !== 'object' || query.sort === null || typeof (query.sort.field ?? '') !== 'string')) {
    throw new InvalidQueryError('sort must be {field, order}')
  }
  const clauses = Object.entries(query.where ?? {}).flatMap(([path, c]) => compileField(path, c))
  const terms = clauses.reduce((n, c) => n + (Array.isArray(c.value) ? c.value.length : 1), 0)
  if (terms > MAX_QUERY_TERMS) throw new InvalidQueryError(`a query may hold at most ${MAX_QUERY_TERMS} conditions and $in values, this one has ${terms}`)
  const kinds = query.kind === undefined ? undefined : Array.isArray(query.kind) ? query.kind : [query.kind]
  for (const k of kinds ?? []) {
    if (!(ASSET_KINDS as readonly string[]).includes(k)) {
      throw new InvalidQueryError(`unknown kind ${JSON.stringify(k)} (known: ${ASSET_KINDS.join(', ')})`)
    }
  }
  const limit = query.limit ?? DEFAULT_QUERY_LIMIT
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw new InvalidQueryError(`limit must be an integer from 1 to ${MAX_QUERY_LIMIT}`)
  }
  const sortField = query.sort?.field ?? 'createdAt'
  const order = query.sort?.order ?? (query.sort ? 'asc' : 'desc')
  if (order !== 'asc' && order !== 'desc') throw new InvalidQueryError('sort order must be asc or desc')
  let sort: CompiledQuery['sort']
  if (sortField.startsWith('metadata.')) {
    sort = { field: 'metadata', path: parsePath(sortField.slice('metadata.'.length)), order }
  } else if (['createdAt', 'key', 'version', 'size'].includes(sortField)) {
    sort = { field: sortField as 'createdAt', order }
  } else {
    throw new InvalidQueryError(`cannot sort by ${JSON.stringify(sortField)} (createdAt, key, version, size or metadata.<path>)`)
  }
  const text = query.text?.trim()
  return {
    clauses,
    kinds,
    tag: query.tag,
    text: text ? text : undefined,
    keyPrefix: query.keyPrefix,
    createdAfter: query.createdAfter === undefined ? undefined : toIso(query.createdAfter, 'createdAfter'),
    createdBefore: query.createdBefore === undefined ? undefined : toIso(query.createdBefore, 'createdBefore'),
    allVersions: query.allVersions ?? false,
    includeDeleted: query.includeDeleted ?? false,
    sort,
    limit,
    offset: query.cursor === undefined ? 0 : decodeCursor(query.cursor),
  }
}
