import { describe, expect, it } from 'vitest'
import { compileQuery, encodeCursor, InvalidQueryError, MAX_IN_VALUES, MAX_QUERY_TERMS } from '../src/index.js'

describe('compileQuery', () => {
  it('normalises scalars to $eq, dates to ISO strings and splits dot paths', () => {
    const q = compileQuery({ where: { organism: 'human', 'stats.n_cells': { $gte: 1000, $lt: 5000 }, collected: { $gt: new Date('2024-01-01') } } })
    expect(q.clauses).toEqual([
      { path: ['organism'], op: '$eq', value: 'human' },
      { path: ['stats', 'n_cells'], op: '$gte', value: 1000 },
      { path: ['stats', 'n_cells'], op: '$lt', value: 5000 },
      { path: ['collected'], op: '$gt', value: '2024-01-01T00:00:00.000Z' },
    ])
    expect(q).toMatchObject({ limit: 100, offset: 0, allVersions: false, includeDeleted: false, sort: { field: 'createdAt', order: 'desc' } })
  })

  it('decodes a cursor into an offset and sorts by metadata paths', () => {
    const q = compileQuery({ cursor: encodeCursor(200), sort: { field: 'metadata.stats.n_cells', order: 'desc' } })
    expect(q.offset).toBe(200)
    expect(q.sort).toEqual({ field: 'metadata', path: ['stats', 'n_cells'], order: 'desc' })
  })

  const bad: Array<[string, unknown]> = [
    ['an unknown operator', { where: { a: { $regex: 'x' } } }],
    ['a path with quotes', { where: { 'a"); DROP TABLE x; --': 1 } }],
    ['an empty $in', { where: { a: { $in: [] } } }],
    ['an object as $eq', { where: { a: { $eq: { b: 1 } } } }],
    ['a non-date range value', { where: { a: { $gt: 'not a date' } } }],
    ['$exists with a string', { where: { a: { $exists: 'yes' } } }],
    ['an unknown kind', { kind: 'movie' }],
    ['a limit over the maximum', { limit: 100_000 }],
    ['a forged cursor', { cursor: 'bm90IGpzb24' }],
    ['an unknown sort field', { sort: { field: 'password' } }],
    ['an unknown query field', { organism: 'human' }],
    ['a $in of more than MAX_IN_VALUES values', { where: { a: { $in: Array.from({ length: MAX_IN_VALUES + 1 }, (_, i) => i) } } }],
    ['more than MAX_QUERY_TERMS conditions', { where: Object.fromEntries(Array.from({ length: MAX_QUERY_TERMS + 1 }, (_, i) => [`f${i}`, 1])) }],
    ['more than MAX_QUERY_TERMS values over several $in', { where: { a: { $in: Array(MAX_IN_VALUES).fill(1) }, b: { $in: [1, 2] } } }],
  ]
  for (const [what, query] of bad) {
    it(`refuses ${what} with InvalidQueryError`, () => {
      expect(() => compileQuery(query as never)).toThrow(InvalidQueryError)
    })
  }
})
