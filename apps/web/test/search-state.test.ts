import { describe, expect, it } from 'vitest'
import { firstPage, hasFilters, queryOf, typedValue } from '../src/search/search-state'

const params = (text: string) => new URLSearchParams(text)

// The search page's URL is its state: these pin down which query a shared link sends to POST /v1/find.
describe('the search URL', () => {
  it('sends the newest 25 latest versions when it names nothing', () => {
    expect(queryOf(params(''))).toEqual({ sort: { field: 'createdAt', order: 'desc' }, limit: 25 })
    expect(hasFilters(params('sort=key:asc'))).toBe(false)
  })

  it('turns text, kind, tag, the field filters and clauses on any field into one query', () => {
    const query = queryOf(params('q=pbmc&kind=dataset&tag=gold&organism=NCBITaxon:9606&assay=10x&w=n_obs:gte:1000&w=n_obs:lte:5000&w=x_dtype:eq:float32&w=layers:contains:counts&w=raw:exists:&sort=size:asc&limit=50&cursor=abc'))
    expect(query).toEqual({
      text: 'pbmc',
      kind: 'dataset',
      tag: 'gold',
      where: {
        organism: 'NCBITaxon:9606',
        assay: '10x',
        n_obs: { $gte: 1000, $lte: 5000 },
        x_dtype: { $eq: 'float32' },
        layers: { $contains: 'counts' },
        raw: { $exists: true },
      },
      sort: { field: 'size', order: 'asc' },
      limit: 50,
      cursor: 'abc',
    })
  })

  it('keeps a value with colons whole and ignores clauses it cannot read', () => {
    expect(queryOf(params('w=source:eq:https://example.org/a&w=broken&w=x:like:y')).where).toEqual({ source: { $eq: 'https://example.org/a' } })
  })

  it('reads numbers and literals as such, and quoted text as text', () => {
    expect([typedValue('2700'), typedValue('-1.5e3'), typedValue('true'), typedValue('null'), typedValue('"2700"'), typedValue(' human ')]).toEqual([2700, -1500, true, null, '2700', 'human'])
  })

  it('starts a changed search from its first page and refuses page sizes the page does not offer', () => {
    const next = firstPage(params('q=x&cursor=abc&prev=&prev=def'))
    expect(next.toString()).toBe('q=x')
    expect(queryOf(params('limit=100000')).limit).toBe(25)
  })
})
