import { type AssetQuery, compileQuery } from '@assets/core'
import { describe, expect, it } from 'vitest'
import { decompileQuery } from '../src/decompile-query.js'
import { errorFromResponse } from '../src/remote-errors.js'

// What the server compiles from what the client sends must be what the client compiled.
const QUERIES: AssetQuery[] = [
  {},
  { where: { organism: 'human', 'stats.n_cells': { $gte: 1000, $lt: 5000 }, tissue: { $in: ['blood', 'lung'] }, notes: { $exists: false } } },
  { where: { released: { $gte: '2024-01-31' } }, kind: ['dataset', 'model'], tag: 'prod', text: 'pbmc', keyPrefix: 'datasets/' },
  { createdAfter: '2025-01-01T00:00:00Z', createdBefore: new Date('2026-01-01T00:00:00Z'), allVersions: true, includeDeleted: true },
  { sort: { field: 'metadata.stats.n_cells', order: 'desc' }, limit: 7 },
  // Own fields named like Object's: JSON gives them, and they must not vanish on the way.
  { where: JSON.parse('{"__proto__": "x", "constructor": {"$ne": 1}}') as AssetQuery['where'], sort: { field: 'size' } },
]

describe('decompileQuery', () => {
  it('gives back a query that compiles to the same checked query', () => {
    for (const query of QUERIES) {
      const compiled = compileQuery(query)
      expect(compileQuery(JSON.parse(JSON.stringify(decompileQuery(compiled))) as AssetQuery)).toEqual(compiled)
    }
  })

  it('keeps the page a cursor points at', () => {
    const first = compileQuery({ limit: 2 })
    const later = compileQuery({ limit: 2, cursor: decompileQuery({ ...first, offset: 4 }).cursor })
    expect(later.offset).toBe(4)
  })
})

describe('errorFromResponse', () => {
  it('makes the server’s error body the class a local stack throws', () => {
    expect(errorFromResponse(404, { error: { code: 'ASSET_NOT_FOUND', message: 'asset x does not exist' } }, 'GET')).toMatchObject({ code: 'ASSET_NOT_FOUND', message: 'asset x does not exist' })
    expect(errorFromResponse(422, { error: { code: 'VALIDATION_FAILED', message: 'bad', issues: [{ code: 'X', path: 'a', message: 'm' }] } }, 'POST')).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ code: 'X' }] })
    expect(errorFromResponse(401, undefined, 'GET')).toMatchObject({ code: 'UNAUTHENTICATED' })
    expect(errorFromResponse(502, '<html>bad gateway</html>', 'GET /v1/find')).toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
  })
})
