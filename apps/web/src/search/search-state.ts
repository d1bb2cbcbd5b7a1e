import type { AssetQuery } from '../api/endpoints'

/**
 * The search page's whole state lives in the URL's search params, so that a search is a link:
 * `?q=pbmc&kind=dataset&organism=NCBITaxon:9606&w=n_obs:gte:1000&sort=size:desc&limit=25`.
 * Clauses on any metadata field are `w=<field>:<op>:<value>`, one param each; a sort may name a
 * metadata field too (`sort=metadata.n_obs:desc`).
 */
export const OPERATORS = [
  { op: 'eq', label: '=', name: 'equals' },
  { op: 'ne', label: '≠', name: 'is not' },
  { op: 'gt', label: '>', name: 'greater than' },
  { op: 'gte', label: '≥', name: 'at least' },
  { op: 'lt', label: '<', name: 'less than' },
  { op: 'lte', label: '≤', name: 'at most' },
  { op: 'contains', label: '∋', name: 'list contains' },
  { op: 'exists', label: '∃', name: 'exists (true/false)' },
] as const

export type Operator = (typeof OPERATORS)[number]['op']

export interface WhereClause {
  field: string
  op: Operator
  value: string
}

/** Filters with a field of their own; each is a `where` clause on that metadata field. */
export const FIELD_FILTERS = [
  { param: 'organism', field: 'organism', label: 'Organism' },
  { param: 'modality', field: 'modality', label: 'Modality' },
  { param: 'assay', field: 'assay', label: 'Assay' },
] as const

export const SORTS = [
  { value: 'createdAt:desc', label: 'Newest first' },
  { value: 'createdAt:asc', label: 'Oldest first' },
  { value: 'key:asc', label: 'Key A→Z' },
  { value: 'key:desc', label: 'Key Z→A' },
  { value: 'size:desc', label: 'Largest first' },
  { value: 'size:asc', label: 'Smallest first' },
] as const

export const PAGE_SIZES = [25, 50, 100] as const
const DEFAULT_LIMIT = 25

export function parseClause(text: string): WhereClause | undefined {
  const [field, op, ...rest] = text.split(':')
  if (!field || !OPERATORS.some((o) => o.op === op)) return undefined
  return { field, op: op as Operator, value: rest.join(':') }
}

export function formatClause(clause: WhereClause): string {
  return `${clause.field}:${clause.op}:${clause.value}`
}

/**
 * A typed value from what was typed: numbers, true/false/null as such; "quoted" text stays text
 * (`"2700"` is the string), so that `n_obs = 2700` matches the number the server stored.
 */
export function typedValue(text: string): string | number | boolean | null {
  const trimmed = text.trim()
  if (/^".*"$/.test(trimmed)) return trimmed.slice(1, -1)
  if (trimmed === 'true') return true
  if (trimmed === 'false') return false
  if (trimmed === 'null') return null
  if (trimmed !== '' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed)
  return trimmed
}

function condition(clause: WhereClause): unknown {
  const value = typedValue(clause.value)
  if (clause.op === 'exists') return { $exists: value !== false }
  return { [`$${clause.op}`]: value }
}

export function limitOf(params: URLSearchParams): number {
  const limit = Number(params.get('limit'))
  return (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_LIMIT
}

export function clausesOf(params: URLSearchParams): WhereClause[] {
  return params.getAll('w').flatMap((text) => parseClause(text) ?? [])
}

/** The AssetQuery the URL stands for. */
export function queryOf(params: URLSearchParams): AssetQuery {
  const where: Record<string, unknown> = {}
  for (const filter of FIELD_FILTERS) {
    const value = params.get(filter.param)
    if (value) where[filter.field] = typedValue(value)
  }
  // Several clauses on one field (n_obs ≥ 1000 and ≤ 5000) merge into one object of operators.
  for (const clause of clausesOf(params)) {
    const previous = where[clause.field]
    const next = condition(clause) as Record<string, unknown>
    where[clause.field] = previous && typeof previous === 'object' ? { ...previous, ...next } : next
  }
  const [field, order] = (params.get('sort') ?? SORTS[0].value).split(':')
  const text = params.get('q')?.trim()
  return {
    ...(text ? { text } : {}),
    ...(params.get('kind') ? { kind: params.get('kind') ?? undefined } : {}),
    ...(params.get('tag') ? { tag: params.get('tag') ?? undefined } : {}),
    ...(Object.keys(where).length > 0 ? { where } : {}),
    sort: { field: field || 'createdAt', order: order === 'asc' ? 'asc' : 'desc' },
    limit: limitOf(params),
    ...(params.get('cursor') ? { cursor: params.get('cursor') ?? undefined } : {}),
  }
}

/** The same search from its first page: any change of filters starts over. */
export function firstPage(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params)
  next.delete('cursor')
  next.delete('prev')
  return next
}

/** Whether anything narrows the search (for the empty state's advice). */
export function hasFilters(params: URLSearchParams): boolean {
  return ['q', 'kind', 'tag', 'w', ...FIELD_FILTERS.map((f) => f.param)].some((p) => params.has(p))
}
