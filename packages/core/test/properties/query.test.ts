import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ASSET_KINDS,
  type AssetQuery,
  type CompiledQuery,
  compileQuery,
  encodeCursor,
  type FieldOperators,
  InvalidQueryError,
  MAX_QUERY_LIMIT,
  type SortField,
} from '../../src/index.js'
import { hostileString } from './hostile-strings.js'

const NAME_CHARS = 'abcXYZ019_-'.split('')
const segment = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 8 })
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('.'))
const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null))
const date = fc.date({ noInvalidDate: true })
const isoText = fc.oneof(
  date.map((d) => d.toISOString()),
  date.filter((d) => d.getUTCFullYear() >= 0 && d.getUTCFullYear() <= 9999).map((d) => d.toISOString().slice(0, 10)),
)
const rangeValue = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), date, isoText)
const operators: fc.Arbitrary<FieldOperators> = fc.record(
  {
    $eq: scalar,
    $ne: scalar,
    $in: fc.array(scalar, { minLength: 1, maxLength: 5 }),
    $gt: rangeValue,
    $gte: rangeValue,
    $lt: rangeValue,
    $lte: rangeValue,
    $exists: fc.boolean(),
    $contains: scalar,
  },
  { requiredKeys: [] },
)
const where = fc.dictionary(path, fc.oneof(scalar, date, operators), { maxKeys: 4 })
const sortField: fc.Arbitrary<SortField> = fc.oneof(
  fc.constantFrom<SortField>('createdAt', 'key', 'version', 'size'),
  path.map((p): SortField => `metadata.${p}`),
)

/** Queries a caller may write: every field optional, every value of the documented type. */
const query: fc.Arbitrary<AssetQuery> = fc.record(
  {
    where,
    kind: fc.oneof(fc.constantFrom(...ASSET_KINDS), fc.subarray([...ASSET_KINDS])),
    tag: fc.string({ maxLength: 8 }),
    text: fc.string({ maxLength: 8 }),
    keyPrefix: fc.string({ maxLength: 8 }),
    createdAfter: fc.oneof(date, isoText),
    createdBefore: fc.oneof(date, isoText),
    allVersions: fc.boolean(),
    includeDeleted: fc.boolean(),
    sort: fc.record({ field: sortField, order: fc.constantFrom('asc' as const, 'desc' as const) }, { requiredKeys: ['field'] }),
    limit: fc.integer({ min: 1, max: MAX_QUERY_LIMIT }),
    cursor: fc.nat().map(encodeCursor),
  },
  { requiredKeys: [] },
)

/** Prints a compiled query back as the query a caller would write. */
function asQuery(c: CompiledQuery): AssetQuery {
  const where: Record<string, Record<string, unknown>> = {}
  for (const clause of c.clauses) {
    const p = clause.path.join('.')
    where[p] ??= {}
    where[p][clause.op] = clause.value
  }
  const q: AssetQuery = {
    where: where as AssetQuery['where'],
    allVersions: c.allVersions,
    includeDeleted: c.includeDeleted,
    limit: c.limit,
    sort: { field: c.sort.field === 'metadata' ? `metadata.${c.sort.path?.join('.')}` : c.sort.field, order: c.sort.order },
    cursor: encodeCursor(c.offset),
  }
  for (const k of ['kinds', 'tag', 'text', 'keyPrefix', 'createdAfter', 'createdBefore'] as const) {
    if (c[k] !== undefined) Object.assign(q, { [k === 'kinds' ? 'kind' : k]: c[k] })
  }
  return q
}

function outcome(input: unknown): { compiled: CompiledQuery } | { error: unknown } {
  try {
    return { compiled: compileQuery(input as AssetQuery) }
  } catch (error) {
    return { error }
  }
}

describe('the query language (properties)', () => {
  it('a compiled query, printed back as a query, compiles to the same thing', () => {
    fc.assert(
      fc.property(query, (q) => {
        const first = outcome(q)
        if ('error' in first) {
          // Only values outside what the registries can compare (dates past year 9999) are refused.
          expect(first.error).toBeInstanceOf(InvalidQueryError)
          return
        }
        expect(compileQuery(asQuery(first.compiled))).toEqual(first.compiled)
      }),
      { numRuns: 300 },
    )
  })

  it('every clause of a compiled query names a checked path and one known operator', () => {
    fc.assert(
      fc.property(query, (q) => {
        const r = outcome(q)
        if ('error' in r) return
        for (const clause of r.compiled.clauses) {
          for (const s of clause.path) expect(s).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
          expect(['$eq', '$ne', '$in', '$gt', '$gte', '$lt', '$lte', '$exists', '$contains']).toContain(clause.op)
        }
        expect(r.compiled.limit).toBeGreaterThanOrEqual(1)
        expect(r.compiled.limit).toBeLessThanOrEqual(MAX_QUERY_LIMIT)
      }),
    )
  })

  it('a query of the wrong shape is refused with InvalidQueryError and nothing else', () => {
    const field = fc.oneof(hostileString(), fc.anything())
    const wild = fc.oneof(
      fc.anything(),
      fc.record(
        {
          where: fc.oneof(fc.anything(), fc.dictionary(hostileString(), fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.anything())))),
          kind: field,
          tag: field,
          text: field,
          keyPrefix: field,
          createdAfter: field,
          createdBefore: field,
          allVersions: field,
          includeDeleted: field,
          sort: fc.oneof(field, fc.record({ field, order: field }, { requiredKeys: [] })),
          limit: field,
          cursor: field,
        },
        { requiredKeys: [] },
      ),
    )
    const FIELDS = ['where', 'kind', 'tag', 'text', 'keyPrefix', 'createdAfter', 'createdBefore', 'allVersions', 'includeDeleted', 'sort', 'limit', 'cursor']
    // One field gone wrong in an otherwise sound query, so that every field's check is reached.
    const oneBad = fc
      .tuple(query, fc.constantFrom(...FIELDS), fc.oneof(field, fc.record({ field, order: field }, { requiredKeys: [] })))
      .map(([q, name, value]) => ({ ...q, [name]: value }))
    fc.assert(
      fc.property(fc.oneof(wild, oneBad), (q) => {
        const r = outcome(q)
        if ('error' in r) {
          expect(r.error).toBeInstanceOf(InvalidQueryError)
          return
        }
        // What is accepted has the types the registries compile.
        expect(typeof r.compiled.allVersions).toBe('boolean')
        expect(typeof r.compiled.includeDeleted).toBe('boolean')
        for (const k of ['tag', 'text', 'keyPrefix', 'createdAfter', 'createdBefore'] as const) {
          expect(['string', 'undefined']).toContain(typeof r.compiled[k])
        }
        expect(Number.isSafeInteger(r.compiled.offset)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})

describe('the query language: cases the properties found', () => {
  const bad: Array<[string, unknown]> = [
    ['text that is not a string (was a TypeError)', { text: {} }],
    ['a sort field that is not a string (was a TypeError)', { sort: { field: 5 } }],
    ['a tag that is not a string (was passed to the registry)', { tag: 5 }],
    ['allVersions that is not a boolean (was passed to the registry)', { allVersions: 'yes' }],
    ['where that is a string (was read as fields "0", "1" …)', { where: 'ab' }],
    ['a Date past year 9999 (its ISO form was not a date to the next compile)', { createdAfter: new Date('+010000-01-01T00:00:00Z') }],
  ]
  for (const [what, q] of bad) {
    it(`refuses ${what} with InvalidQueryError`, () => {
      expect(() => compileQuery(q as AssetQuery)).toThrow(InvalidQueryError)
    })
  }
})
