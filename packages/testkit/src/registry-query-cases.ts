import {
  type AssetQuery,
  type AssetRecord,
  compileQuery,
  MAX_IN_VALUES,
  MAX_QUERY_TERMS,
  type ReadScope,
} from '@assets/core'
import { makeRecord, SUPERUSER_SCOPE, scopeOf } from './record-fixtures.js'
import { ACTOR, type Define, EVERYONE, PRIVATE_TO_ALICE, type SuiteContext } from './registry-case.js'

/** Registers one version per entry under a fresh prefix; returns the prefix and a finder. */
async function seed(t: SuiteContext, rows: Record<string, Partial<AssetRecord>>) {
  const base = `${t.key()}/`
  for (const [name, { version, ...overrides }] of Object.entries(rows)) {
    await t.registry.register(makeRecord(`${base}${name}`, version ?? '1.0.0', overrides), { actor: ACTOR })
  }
  const find = async (query: AssetQuery = {}, scope: ReadScope = EVERYONE): Promise<string[]> => {
    const page = await t.registry.query(compileQuery({ keyPrefix: base, limit: 1000, ...query }), scope)
    return page.items.map((r) => r.key.slice(base.length))
  }
  const findSorted = async (query: AssetQuery = {}, scope: ReadScope = EVERYONE): Promise<string[]> => (await find(query, scope)).sort()
  const findVersions = async (query: AssetQuery = {}): Promise<string[]> => {
    const page = await t.registry.query(compileQuery({ keyPrefix: base, limit: 1000, ...query }), EVERYONE)
    return page.items.map((r) => `${r.key.slice(base.length)}@${r.version}`).sort()
  }
  return { base, find, findSorted, findVersions }
}

const TYPED_ROWS = {
  a: {
    metadata: {
      organism: 'human', n_cells: 1000, ratio: 0.5, published: true, reviewed: null, collected: '2024-01-15T10:00:00.000Z',
      labels: ['blood', '10x', 3], stats: { n_genes: 2000, depth: { mean: 7.5 } }, doi: 'x',
    },
  },
  b: {
    metadata: {
      organism: 'mouse', n_cells: 50, ratio: 2, published: false, collected: '2023-06-01T00:00:00.000Z',
      labels: ['brain'], stats: { n_genes: 500 },
    },
  },
  // The same facts as a, with the wrong JSON types: strings where a has numbers and booleans.
  c: { metadata: { organism: 'human', n_cells: '1000', published: 'true', reviewed: 'null', labels: 'blood', stats: '{"n_genes": 2000}' } },
  d: { metadata: {} },
} satisfies Record<string, Partial<AssetRecord>>

export function queryFilters(test: Define): void {
  const cases: Array<[string, AssetQuery['where'], string[]]> = [
    ['$eq on a string matches only that string', { organism: 'human' }, ['a', 'c']],
    ['$eq on a number matches numbers, not numeric strings', { n_cells: { $eq: 1000 } }, ['a']],
    ['$eq on a number matches integers and reals alike', { ratio: 2 }, ['b']],
    ['$eq on a boolean matches JSON booleans, not strings', { published: true }, ['a']],
    ['$eq false does not match a missing field', { published: false }, ['b']],
    ['$eq null matches an explicit null, not a missing field or the string null', { reviewed: null }, ['a']],
    ['$ne matches other values, other types and rows without the field', { organism: { $ne: 'human' } }, ['b', 'd']],
    ['$ne on a number keeps numeric strings, which are not equal', { n_cells: { $ne: 1000 } }, ['b', 'c', 'd']],
    ['$in matches any of the listed values with their types', { n_cells: { $in: [50, 'nothing', 1000] } }, ['a', 'b']],
    ['$in mixes types as listed', { published: { $in: [false, 'true'] } }, ['b', 'c']],
    ['$gt compares numbers numerically, not as text', { n_cells: { $gt: 100 } }, ['a']],
    ['$gte includes the bound', { n_cells: { $gte: 1000 } }, ['a']],
    ['$lt compares numbers numerically, not as text', { n_cells: { $lt: 999 } }, ['b']],
    ['$lte includes the bound', { ratio: { $lte: 0.5 } }, ['a']],
    ['$gt compares ISO dates as instants', { collected: { $gt: '2024-01-15T09:59:59.999Z' } }, ['a']],
    ['$gte accepts a Date', { collected: { $gte: new Date('2024-01-15T10:00:00.000Z') } }, ['a']],
    ['$lt accepts a date without a time', { collected: { $lt: '2024-01-01' } }, ['b']],
    ['$lte on dates includes the bound', { collected: { $lte: '2023-06-01T00:00:00.000Z' } }, ['b']],
    ['$exists true matches fields that are present, even when null', { reviewed: { $exists: true } }, ['a', 'c']],
    ['$exists false matches rows without the field', { doi: { $exists: false } }, ['b', 'c', 'd']],
    ['$contains matches arrays holding the value, not scalars equal to it', { labels: { $contains: 'blood' } }, ['a']],
    ['$contains compares whole elements, not substrings', { labels: { $contains: 'bloo' } }, []],
    ['$contains matches numbers by type', { labels: { $contains: 3 } }, ['a']],
    ['nested dot paths reach into objects', { 'stats.n_genes': { $gte: 1000 } }, ['a']],
    ['deeper dot paths reach into nested objects', { 'stats.depth.mean': 7.5 }, ['a']],
    ['several conditions must all hold', { organism: 'human', n_cells: { $gte: 1000 }, published: true }, ['a']],
  ]
  for (const [name, where, expected] of cases) {
    test(`query: ${name}`, async (t) => {
      const { findSorted } = await seed(t, TYPED_ROWS)
      t.expect(await findSorted({ where })).toEqual(expected)
    })
  }

  test('query: the largest query compileQuery accepts runs, with every filter at once', async (t) => {
    // The bounds are checked in core so that no backend fails on size (SQLite's expression
    // depth, the bound-parameter limits): every registry must answer a query at the bounds.
    const { findSorted } = await seed(t, TYPED_ROWS)
    const organisms = [...Array.from({ length: MAX_IN_VALUES - 1 }, (_, i) => `o${i}`), 'human']
    t.expect(await findSorted({ where: { organism: { $in: organisms } } })).toEqual(['a', 'c'])
    const fields = Object.fromEntries(Array.from({ length: MAX_QUERY_TERMS - 1 }, (_, i) => [`f${i}`, { $exists: false }]))
    const where = { ...fields, n_cells: { $in: [1000] } }
    t.expect(await findSorted({ where, kind: ['dataset', 'model'], createdAfter: '2000-01-01', sort: { field: 'metadata.n_cells' } })).toEqual(['a'])
  })

  test('query: kind filters by one kind or several', async (t) => {
    const { findSorted } = await seed(t, { d: { kind: 'dataset' }, m: { kind: 'model' }, c: { kind: 'config' } })
    t.expect(await findSorted({ kind: 'model' })).toEqual(['m'])
    t.expect(await findSorted({ kind: ['dataset', 'config'] })).toEqual(['c', 'd'])
  })

  test('query: text matches the key or the description, ignoring case', async (t) => {
    const { findSorted } = await seed(t, {
      'Alpha-Cells': { description: 'PBMC from a healthy donor' },
      beta: { description: 'Mouse brain, HUMAN-aligned' },
      gamma: {},
    })
    t.expect(await findSorted({ text: 'alpha' })).toEqual(['Alpha-Cells'])
    t.expect(await findSorted({ text: 'pbmc' })).toEqual(['Alpha-Cells'])
    t.expect(await findSorted({ text: 'human' })).toEqual(['beta'])
    t.expect(await findSorted({ text: 'nothing like this' })).toEqual([])
  })

  test('query: text treats % and _ as plain characters', async (t) => {
    const { findSorted } = await seed(t, {
      with_under: { description: 'purity 100% checked' },
      withXunder: { description: 'purity 100 checked' },
    })
    t.expect(await findSorted({ text: 'with_under' })).toEqual(['with_under'])
    t.expect(await findSorted({ text: '100%' })).toEqual(['with_under'])
    t.expect(await findSorted({ text: '%' })).toEqual(['with_under'])
  })

  test('query: keyPrefix matches whole prefixes literally and case-sensitively', async (t) => {
    const { base, findSorted } = await seed(t, { 'a_b/x': {}, 'aXb/y': {}, 'A_B/z': {} })
    const under = async (p: string) =>
      (await t.registry.query(compileQuery({ keyPrefix: `${base}${p}` }), EVERYONE)).items.map((r) => r.key.slice(base.length))
    t.expect(await under('a_b/')).toEqual(['a_b/x'])
    t.expect(await under('%')).toEqual([])
    t.expect(await findSorted()).toEqual(['A_B/z', 'aXb/y', 'a_b/x'])
  })

  test('query: createdAfter and createdBefore bound the creation time, exclusively', async (t) => {
    const { findSorted } = await seed(t, {
      early: { createdAt: '2021-01-01T00:00:00.000Z' },
      middle: { createdAt: '2021-06-01T00:00:00.000Z' },
      late: { createdAt: '2022-01-01T00:00:00.000Z' },
    })
    t.expect(await findSorted({ createdAfter: '2021-01-01T00:00:00.000Z' })).toEqual(['late', 'middle'])
    t.expect(await findSorted({ createdBefore: new Date('2022-01-01T00:00:00.000Z') })).toEqual(['early', 'middle'])
    t.expect(await findSorted({ createdAfter: '2021-03-01', createdBefore: '2021-12-31' })).toEqual(['middle'])
  })
}

export function querySelection(test: Define): void {
  const versions = async (t: SuiteContext) => {
    const s = await seed(t, {})
    const add = (name: string, version: string, tags: string[] = []) =>
      t.registry.register(makeRecord(`${s.base}${name}`, version), { actor: ACTOR, tags })
    await add('x', '1.0.0', ['paper'])
    await add('x', '2.0.0')
    await add('x', '3.0.0-rc.1')
    await add('y', '1.0.0')
    await add('y', '2.0.0')
    await add('z', '1.0.0')
    await t.registry.softDelete(`${s.base}y`, '2.0.0', { actor: ACTOR })
    await t.registry.softDelete(`${s.base}z`, '1.0.0', { actor: ACTOR })
    return s
  }

  test('query: returns only the latest live version of each key by default', async (t) => {
    const { findVersions } = await versions(t)
    t.expect(await findVersions()).toEqual(['x@2.0.0', 'y@1.0.0'])
  })

  test('query: allVersions returns every live version', async (t) => {
    const { findVersions } = await versions(t)
    t.expect(await findVersions({ allVersions: true })).toEqual(['x@1.0.0', 'x@2.0.0', 'x@3.0.0-rc.1', 'y@1.0.0'])
  })

  test('query: includeDeleted adds keys whose every version was deleted', async (t) => {
    const { findVersions } = await versions(t)
    t.expect(await findVersions({ includeDeleted: true })).toEqual(['x@2.0.0', 'y@1.0.0', 'z@1.0.0'])
  })

  test('query: allVersions with includeDeleted returns deleted versions too', async (t) => {
    const { findVersions } = await versions(t)
    t.expect(await findVersions({ allVersions: true, includeDeleted: true })).toEqual([
      'x@1.0.0', 'x@2.0.0', 'x@3.0.0-rc.1', 'y@1.0.0', 'y@2.0.0', 'z@1.0.0',
    ])
  })

  test('query: tag finds the tagged version even when it is not the latest', async (t) => {
    const { findVersions } = await versions(t)
    t.expect(await findVersions({ tag: 'paper' })).toEqual(['x@1.0.0'])
    t.expect(await findVersions({ tag: 'no-such-tag' })).toEqual([])
  })

  test('query: returned records are complete', async (t) => {
    const { base } = await seed(t, { only: { metadata: { n: 1 }, description: 'full' } })
    const page = await t.registry.query(compileQuery({ keyPrefix: base }), EVERYONE)
    t.expect(page.items).toEqual([await t.registry.get(`${base}only`, '1.0.0')])
  })
}

export function querySortAndPaging(test: Define): void {
  // Each field orders the four rows differently, so a sort on the wrong column fails.
  const rows = {
    a: { version: '2.0.0-rc.1', size: 10, createdAt: '2020-01-01T00:03:00.000Z', metadata: { rank: 1 } },
    b: { version: '1.0.0', size: 30, createdAt: '2020-01-01T00:02:00.000Z', metadata: { rank: 2 } },
    c: { version: '10.0.0', size: 20, createdAt: '2020-01-01T00:01:00.000Z', metadata: { rank: 3 } },
    d: { version: '2.0.0', size: 40, createdAt: '2020-01-01T00:00:00.000Z', metadata: {} },
  }
  const ascending: Array<[NonNullable<AssetQuery['sort']>['field'], string[]]> = [
    ['createdAt', ['d', 'c', 'b', 'a']],
    ['key', ['a', 'b', 'c', 'd']],
    ['size', ['a', 'c', 'b', 'd']],
    ['version', ['b', 'a', 'd', 'c']],
  ]
  for (const [field, order] of ascending) {
    test(`query: sort by ${field} orders ascending and descending`, async (t) => {
      const { find } = await seed(t, rows)
      t.expect(await find({ sort: { field, order: 'asc' } })).toEqual(order)
      t.expect(await find({ sort: { field, order: 'desc' } })).toEqual([...order].reverse())
    })
  }

  test('query: sort by version follows semver precedence across prereleases', async (t) => {
    // The precedence example of semver.org 11.4 plus a hyphenated identifier, registered out of order.
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-alpha-x', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0']
    const { base } = await seed(t, {})
    for (const v of [...order].reverse()) await t.registry.register(makeRecord(`${base}k`, v), { actor: ACTOR })
    const sorted = async (direction: 'asc' | 'desc') =>
      (await t.registry.query(compileQuery({ keyPrefix: base, allVersions: true, sort: { field: 'version', order: direction } }), EVERYONE)).items.map(
        (r) => r.version,
      )
    t.expect(await sorted('asc')).toEqual(order)
    t.expect(await sorted('desc')).toEqual([...order].reverse())
  })

  test('query: sort by a metadata path orders by its value, rows without it last', async (t) => {
    const { find } = await seed(t, rows)
    t.expect(await find({ sort: { field: 'metadata.rank', order: 'asc' } })).toEqual(['a', 'b', 'c', 'd'])
    t.expect(await find({ sort: { field: 'metadata.rank', order: 'desc' } })).toEqual(['c', 'b', 'a', 'd'])
  })

  test('query: the default order is newest first', async (t) => {
    const { find } = await seed(t, rows)
    t.expect(await find()).toEqual(['a', 'b', 'c', 'd'])
  })

  test('query: limit and cursor page through every row exactly once', async (t) => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
    const { base } = await seed(t, Object.fromEntries(names.map((n) => [n, {}])))
    const pages: string[][] = []
    let cursor: string | undefined
    do {
      const page = await t.registry.query(compileQuery({ keyPrefix: base, sort: { field: 'key' }, limit: 3, cursor }), EVERYONE)
      pages.push(page.items.map((r) => r.key.slice(base.length)))
      cursor = page.nextCursor
    } while (cursor !== undefined && pages.length < 10)
    t.expect(pages).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']])
  })

  test('query: a page that ends exactly at the last row has no nextCursor', async (t) => {
    const { base } = await seed(t, { a: {}, b: {}, c: {}, d: {} })
    const first = await t.registry.query(compileQuery({ keyPrefix: base, sort: { field: 'key' }, limit: 2 }), EVERYONE)
    t.expect(first.nextCursor).toEqual(t.expect.any(String))
    const second = await t.registry.query(compileQuery({ keyPrefix: base, sort: { field: 'key' }, limit: 2, cursor: first.nextCursor }), EVERYONE)
    t.expect(second.items.map((r) => r.key.slice(base.length))).toEqual(['c', 'd'])
    t.expect(second.nextCursor).toBeUndefined()
  })
}

export function queryAccess(test: Define): void {
  const rows = {
    private: { accessControl: PRIVATE_TO_ALICE },
    readers: { accessControl: { ...PRIVATE_TO_ALICE, read: ['user:bob'] } },
    writers: { accessControl: { ...PRIVATE_TO_ALICE, write: ['user:carol'] } },
    admins: { accessControl: { ...PRIVATE_TO_ALICE, admin: ['user:dave'] } },
    group: { accessControl: { ...PRIVATE_TO_ALICE, read: ['group:lab'] } },
    role: { accessControl: { ...PRIVATE_TO_ALICE, read: ['role:reviewer'] } },
    public: { accessControl: { ...PRIVATE_TO_ALICE, read: ['*'] } },
  }
  const all = Object.keys(rows).sort()

  test('query: a principal that cannot read sees nothing', async (t) => {
    const { findSorted } = await seed(t, { one: { accessControl: PRIVATE_TO_ALICE }, two: { accessControl: PRIVATE_TO_ALICE } })
    t.expect(await findSorted({}, scopeOf({ user: 'eve', groups: ['other'], roles: ['viewer'] }))).toEqual([])
    t.expect(await findSorted({ allVersions: true, includeDeleted: true }, scopeOf({ user: 'eve' }))).toEqual([])
  })

  test('query: read, write and admin grants each make a row visible', async (t) => {
    const { findSorted } = await seed(t, rows)
    t.expect(await findSorted({}, scopeOf({ user: 'bob' }))).toEqual(['public', 'readers'])
    t.expect(await findSorted({}, scopeOf({ user: 'carol' }))).toEqual(['public', 'writers'])
    t.expect(await findSorted({}, scopeOf({ user: 'dave' }))).toEqual(['admins', 'public'])
  })

  test('query: group and role grants make rows visible to members', async (t) => {
    const { findSorted } = await seed(t, rows)
    t.expect(await findSorted({}, scopeOf({ user: 'frank', groups: ['lab'] }))).toEqual(['group', 'public'])
    t.expect(await findSorted({}, scopeOf({ user: 'gina', roles: ['reviewer'] }))).toEqual(['public', 'role'])
  })

  test('query: * grants every principal read access', async (t) => {
    const { findSorted } = await seed(t, rows)
    t.expect(await findSorted({}, scopeOf({ user: 'eve' }))).toEqual(['public'])
  })

  test('query: the owner sees rows that no list grants', async (t) => {
    const { findSorted } = await seed(t, rows)
    t.expect(await findSorted({}, scopeOf({ user: 'alice' }))).toEqual(all)
  })

  test('query: a superuser sees every row', async (t) => {
    const { findSorted } = await seed(t, rows)
    t.expect(await findSorted({}, SUPERUSER_SCOPE)).toEqual(all)
  })

  test('query: paging counts only the rows the scope may read', async (t) => {
    const { base } = await seed(t, rows)
    const page = await t.registry.query(compileQuery({ keyPrefix: base, sort: { field: 'key' }, limit: 2 }), scopeOf({ user: 'bob' }))
    t.expect(page.items.map((r) => r.key.slice(base.length))).toEqual(['public', 'readers'])
    t.expect(page.nextCursor).toBeUndefined()
  })
}
