import {
  type AccessControl,
  type AssetErrorCode,
  type AssetQuery,
  type AssetRecord,
  compileQuery,
  hasErrorCode,
  type LineageEdge,
  type ReadScope,
  type Registry,
} from '@assets/core'
import type { ExpectStatic, TestAPI } from 'vitest'
import { randomKey } from './fixtures.js'
import { contentOf, makeRecord, SUITE_OWNER, SUPERUSER_SCOPE, scopeOf } from './record-fixtures.js'

export interface RegistrySuiteOptions {
  /** First segment of every key the suite registers (default `suite`). */
  keyPrefix?: string
}

interface SuiteContext {
  registry: Registry
  expect: ExpectStatic
  /** A key no other test uses. */
  key(): string
}

type Define = (name: string, body: (t: SuiteContext) => Promise<void>) => void

const ACTOR = `user:${SUITE_OWNER.user}`
const EVERYONE = scopeOf({ user: 'suite-reader' })
const PRIVATE_TO_ALICE: AccessControl = { owner: 'user:alice', read: [], write: [], admin: [] }

/**
 * The behaviour every Registry must have, whatever its backend. Each test opens a registry with
 * `create()`, uses keys no other test uses (so one backend can serve every test, and several
 * runs at once), and closes it. Query tests scope themselves with a random `keyPrefix`.
 */
export function registrySuite(it: TestAPI, create: () => Registry | Promise<Registry>, options: RegistrySuiteOptions = {}): void {
  const prefix = options.keyPrefix ?? 'suite'
  const define: Define = (name, body) => {
    it(name, async ({ expect }) => {
      const registry = await create()
      try {
        await body({ registry, expect, key: () => randomKey(prefix) })
      } finally {
        await registry.close()
      }
    })
  }
  registerAndResolve(define)
  tags(define)
  accessControl(define)
  queryFilters(define)
  querySelection(define)
  querySortAndPaging(define)
  queryAccess(define)
  annotationsAndDeletion(define)
  auditTrail(define)
  lineage(define)
  maintenance(define)
}

function registerAndResolve(test: Define): void {
  test('register stores a record that get returns unchanged', async ({ registry, expect, key }) => {
    const k = key()
    const record = makeRecord(k, '1.0.0', {
      kind: 'model',
      type: 'folder',
      fileCount: 3,
      description: 'A model folder',
      metadata: { organism: 'human', stats: { n_cells: 1200, genes: ['CD3E', 'MS4A1'] }, flag: false, missing: null },
      provenance: { author: 'Ada', license: 'CC-BY-4.0', citations: ['doi:10/abc'] },
      specs: { inputs: [{ name: 'X', dtype: 'float32' }] },
      declarativeSchema: { type: 'object' },
      relationships: [{ relation: 'trained_on', key: `${k}-data`, version: '2.1.0' }],
      accessControl: { owner: 'user:alice', read: ['group:lab'], write: ['user:bob'], admin: [] },
      expiresAt: '2999-01-01T00:00:00.000Z',
    })
    const result = await registry.register(record, { actor: ACTOR })
    expect(result.created).toBe(true)
    expect(result.record).toEqual(record)
    expect(await registry.get(k, '1.0.0')).toEqual(record)
  })

  test('get returns null for a version that was never registered', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    expect(await registry.get(k, '1.0.1')).toBeNull()
    expect(await registry.get(key(), '1.0.0')).toBeNull()
  })

  test('register normalises a leading v in the version', async ({ registry, expect, key }) => {
    const k = key()
    const { record } = await registry.register(makeRecord(k, 'v1.2.3'), { actor: ACTOR })
    expect(record.version).toBe('1.2.3')
    expect((await registry.get(k, 'v1.2.3'))?.version).toBe('1.2.3')
    expect(await registry.resolve(k, 'v1.2.3')).toBe('1.2.3')
  })

  test('register is a no-op for the same version and digest', async ({ registry, expect, key }) => {
    const k = key()
    const first = makeRecord(k, '1.0.0', { createdAt: '2024-01-01T00:00:00.000Z' })
    await registry.register(first, { actor: ACTOR })
    const again = await registry.register({ ...first, createdAt: '2025-01-01T00:00:00.000Z', description: 'changed' }, { actor: ACTOR })
    expect(again.created).toBe(false)
    expect(again.record).toEqual(first)
    expect(await registry.listVersions(k)).toHaveLength(1)
  })

  test('a second register with another digest throws VersionConflictError', async ({ registry, expect, key }) => {
    const k = key()
    const first = makeRecord(k, '1.0.0')
    await registry.register(first, { actor: ACTOR })
    const error = await rejection(expect, registry.register(makeRecord(k, '1.0.0', contentOf('other bytes')), { actor: ACTOR }), 'VERSION_CONFLICT')
    expect(error.message).toContain(k)
    expect(error.message).toContain('1.0.0')
    expect((await registry.get(k, '1.0.0'))?.digest).toBe(first.digest)
  })

  test('register refuses a key that could escape its folder', async ({ registry, expect, key }) => {
    await rejection(expect, registry.register(makeRecord(`${key()}/../../etc`, '1.0.0'), { actor: ACTOR }), 'INVALID_KEY')
  })

  test('register with an invalid tag registers nothing', async ({ registry, expect, key }) => {
    const k = key()
    await rejection(expect, registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR, tags: ['latest'] }), 'INVALID_INPUT')
    expect(await registry.get(k, '1.0.0')).toBeNull()
    expect(await registry.audit({ key: k })).toEqual([])
  })

  test('register of a deleted version with the same digest returns it, still deleted', async ({ registry, expect, key }) => {
    const k = key()
    const record = makeRecord(k, '1.0.0')
    await registry.register(record, { actor: ACTOR })
    await registry.softDelete(k, '1.0.0', { actor: ACTOR })
    const again = await registry.register(record, { actor: ACTOR })
    expect(again.created).toBe(false)
    expect(again.record.deletedAt).toEqual(expect.any(String))
    expect(await registry.resolve(k, 'latest')).toBeNull()
  })

  test('listVersions returns versions highest first by semver precedence', async ({ registry, expect, key }) => {
    const k = key()
    const versions = ['1.10.0', '2.0.0-rc.2', '1.0.0', '2.0.0-alpha', '2.0.0-rc.10', '1.2.0', '2.0.0-rc.1']
    for (const v of versions) await registry.register(makeRecord(k, v), { actor: ACTOR })
    const listed = (await registry.listVersions(k)).map((r) => r.version)
    expect(listed).toEqual(['2.0.0-rc.10', '2.0.0-rc.2', '2.0.0-rc.1', '2.0.0-alpha', '1.10.0', '1.2.0', '1.0.0'])
  })

  test('latest resolves to the highest release, not a higher prerelease', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '1.9.0', '2.0.0-rc.1', '1.10.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    expect(await registry.resolve(k, 'latest')).toBe('1.10.0')
  })

  test('latest falls back to the highest prerelease when a key has no release', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0-alpha', '1.0.0-beta.2', '1.0.0-beta.10']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    expect(await registry.resolve(k, 'latest')).toBe('1.0.0-beta.10')
  })

  test('resolve returns null for an unknown key, version or tag', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    expect(await registry.resolve(key(), 'latest')).toBeNull()
    expect(await registry.resolve(k, '9.9.9')).toBeNull()
    expect(await registry.resolve(k, 'no-such-tag')).toBeNull()
  })

  test('listVersions leaves deleted versions out unless includeDeleted', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    expect((await registry.listVersions(k)).map((r) => r.version)).toEqual(['1.0.0'])
    expect((await registry.listVersions(k, { includeDeleted: true })).map((r) => r.version)).toEqual(['2.0.0', '1.0.0'])
  })
}

function tags(test: Define): void {
  test('setTag points a tag at a version and resolve follows it', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setTag(k, 'paper-2025', 'v1.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'paper-2025')).toBe('1.0.0')
    expect(await registry.listTags(k)).toEqual({ 'paper-2025': '1.0.0' })
  })

  test('setTag moves an existing tag to another version', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setTag(k, 'production', '1.0.0', { actor: ACTOR })
    await registry.setTag(k, 'production', '2.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'production')).toBe('2.0.0')
    expect(await registry.listTags(k)).toEqual({ production: '2.0.0' })
  })

  test('register with tags moves them onto the new version', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR, tags: ['production', 'stable'] })
    await registry.register(makeRecord(k, '1.1.0'), { actor: ACTOR, tags: ['production'] })
    expect(await registry.listTags(k)).toEqual({ production: '1.1.0', stable: '1.0.0' })
  })

  test('removeTag removes the tag so that it no longer resolves', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR, tags: ['production'] })
    await registry.removeTag(k, 'production', { actor: ACTOR })
    expect(await registry.resolve(k, 'production')).toBeNull()
    expect(await registry.listTags(k)).toEqual({})
    await rejection(expect, registry.removeTag(k, 'production', { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })

  test('setTag refuses the reserved tag latest', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await rejection(expect, registry.setTag(k, 'latest', '1.0.0', { actor: ACTOR }), 'INVALID_INPUT')
    expect(await registry.resolve(k, 'latest')).toBe('2.0.0')
  })

  test('setTag on a version that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    await rejection(expect, registry.setTag(k, 'production', '3.0.0', { actor: ACTOR }), 'ASSET_NOT_FOUND')
    expect(await registry.listTags(k)).toEqual({})
  })

  test('setTag on a deleted version throws NotFoundError', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    await registry.softDelete(k, '1.0.0', { actor: ACTOR })
    await rejection(expect, registry.setTag(k, 'production', '1.0.0', { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })

  test('a tag on a version that is then deleted no longer resolves', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setTag(k, 'production', '2.0.0', { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'production')).toBeNull()
  })
}

function accessControl(test: Define): void {
  test('setAccessControl with a version changes only that version', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setAccessControl(k, '1.0.0', { owner: 'user:alice', read: ['user:bob', 'group:lab'], write: [], admin: [] }, { actor: ACTOR })
    expect((await registry.get(k, '1.0.0'))?.accessControl).toEqual({ owner: 'user:alice', read: ['group:lab', 'user:bob'], write: [], admin: [] })
    expect((await registry.get(k, '2.0.0'))?.accessControl).toEqual(makeRecord(k, '2.0.0').accessControl)
  })

  test('setAccessControl without a version changes every version of the key', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0', '3.0.0-rc.1']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    await registry.setAccessControl(k, undefined, PRIVATE_TO_ALICE, { actor: ACTOR })
    for (const r of await registry.listVersions(k, { includeDeleted: true })) expect(r.accessControl).toEqual(PRIVATE_TO_ALICE)
  })

  test('setAccessControl on a key that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    await rejection(expect, registry.setAccessControl(key(), undefined, PRIVATE_TO_ALICE, { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })
}

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

function queryFilters(test: Define): void {
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

function querySelection(test: Define): void {
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

function querySortAndPaging(test: Define): void {
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

function queryAccess(test: Define): void {
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

function annotationsAndDeletion(test: Define): void {
  test('annotate stores notes that listAnnotations returns oldest first', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    const note = (version: string, text: string, minute: number) => ({
      key: k, version, text, user: 'user:bob', createdAt: `2024-05-01T10:0${minute}:00.000Z`,
    })
    await registry.annotate(note('1.0.0', 'first look', 1), { actor: 'user:bob' })
    await registry.annotate(note('2.0.0', 'newer version', 2), { actor: 'user:bob' })
    await registry.annotate(note('1.0.0', 'batch effect in donor 3', 3), { actor: 'user:bob' })
    expect(await registry.listAnnotations(k, '1.0.0')).toEqual([note('1.0.0', 'first look', 1), note('1.0.0', 'batch effect in donor 3', 3)])
    expect((await registry.listAnnotations(k)).map((a) => a.text)).toEqual(['first look', 'newer version', 'batch effect in donor 3'])
  })

  test('annotate on a version that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    const note = { key: key(), version: '1.0.0', text: 'x', user: 'user:bob', createdAt: new Date().toISOString() }
    await rejection(expect, registry.annotate(note, { actor: 'user:bob' }), 'ASSET_NOT_FOUND')
  })

  test('softDelete moves latest back to the previous version', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '1.1.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'latest')).toBe('1.1.0')
  })

  test('resolve skips a deleted version while get still returns it', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    const before = Date.now()
    await registry.softDelete(k, '1.0.0', { actor: 'user:remover' })
    expect(await registry.resolve(k, '1.0.0')).toBeNull()
    const deleted = await registry.get(k, '1.0.0')
    expect(deleted?.deletedBy).toBe('user:remover')
    expect(Date.parse(deleted?.deletedAt ?? '')).toBeGreaterThanOrEqual(before - 1000)
  })

  test('softDelete of every version leaves latest unresolved', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    await registry.softDelete(k, '1.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'latest')).toBeNull()
    expect(await registry.listVersions(k)).toEqual([])
  })

  test('softDelete on a version that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    await rejection(expect, registry.softDelete(key(), '1.0.0', { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })
}

function auditTrail(test: Define): void {
  test('every mutation writes an audit row with its actor, newest first', async ({ registry, expect, key }) => {
    const k = key()
    const before = Date.now()
    await registry.register(makeRecord(k, '1.0.0'), { actor: 'user:a1' })
    await registry.register(makeRecord(k, '2.0.0'), { actor: 'user:a2' })
    await registry.setTag(k, 'production', '2.0.0', { actor: 'user:a3' })
    await registry.removeTag(k, 'production', { actor: 'user:a4' })
    await registry.setAccessControl(k, '2.0.0', PRIVATE_TO_ALICE, { actor: 'user:a5' })
    await registry.annotate({ key: k, version: '2.0.0', text: 'note', user: 'user:a6', createdAt: new Date().toISOString() }, { actor: 'user:a6' })
    await registry.softDelete(k, '2.0.0', { actor: 'user:a7' })
    await registry.purge(k, '2.0.0', { actor: 'user:a8' })
    const entries = await registry.audit({ key: k })
    expect(entries.map((e) => [e.action, e.actor, e.version])).toEqual([
      ['purge', 'user:a8', '2.0.0'],
      ['soft-delete', 'user:a7', '2.0.0'],
      ['annotate', 'user:a6', '2.0.0'],
      ['set-acl', 'user:a5', '2.0.0'],
      ['remove-tag', 'user:a4', '2.0.0'],
      ['set-tag', 'user:a3', '2.0.0'],
      ['register', 'user:a2', '2.0.0'],
      ['register', 'user:a1', '1.0.0'],
    ])
    for (const e of entries) {
      expect(e.key).toBe(k)
      expect(new Date(e.at).toISOString()).toBe(e.at)
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(before - 1000)
    }
  })

  test('setAccessControl for every version is audited without a version', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    await registry.setAccessControl(k, undefined, PRIVATE_TO_ALICE, { actor: 'user:acl-admin' })
    const [entry] = await registry.audit({ key: k, action: 'set-acl' })
    expect(entry).toMatchObject({ actor: 'user:acl-admin', key: k })
    expect(entry?.version).toBeUndefined()
  })

  test('recordAudit appends an entry that audit returns', async ({ registry, expect, key }) => {
    const k = key()
    await registry.recordAudit({ actor: 'user:gc', action: 'gc', key: k, details: { removed: 3, bytes: 1024 } })
    const [entry] = await registry.audit({ key: k })
    expect(entry).toMatchObject({ actor: 'user:gc', action: 'gc', key: k, details: { removed: 3, bytes: 1024 } })
    expect(entry?.id).toEqual(expect.any(Number))
  })

  test('audit filters by action and honours limit', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0', '3.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setTag(k, 'stable', '1.0.0', { actor: ACTOR })
    expect((await registry.audit({ key: k, action: 'set-tag' })).map((e) => e.action)).toEqual(['set-tag'])
    expect((await registry.audit({ key: k, action: 'register', limit: 2 })).map((e) => e.version)).toEqual(['3.0.0', '2.0.0'])
  })
}

function lineage(test: Define): void {
  const edge = (from: string, relation: string, to: string, depth: number) => ({ from, relation, to, depth })
  const simplify = (base: string, edges: LineageEdge[]) =>
    edges
      .map((e) => edge(`${e.from.key.slice(base.length)}@${e.from.version}`, e.relation, `${e.to.key.slice(base.length)}@${e.to.version}`, e.depth))
      .sort((a, b) => a.depth - b.depth || a.from.localeCompare(b.from) || a.to.localeCompare(b.to))
  // raw ← derived ← model ← metrics: each registered with its relationship to the one before.
  const chain = async (t: SuiteContext) => {
    const base = `${t.key()}/`
    const add = (name: string, relation?: string, to?: string) =>
      t.registry.register(
        makeRecord(`${base}${name}`, '1.0.0', { relationships: relation && to ? [{ relation, key: `${base}${to}`, version: '1.0.0' }] : [] }),
        { actor: ACTOR },
      )
    await add('raw')
    await add('derived', 'derived_from', 'raw')
    await add('model', 'trained_on', 'derived')
    await add('metrics', 'evaluates', 'model')
    const walk = async (name: string, direction: 'up' | 'down' | 'both', depth: number, scope: ReadScope = EVERYONE) =>
      simplify(base, await t.registry.lineage(`${base}${name}`, '1.0.0', { direction, depth, scope }))
    return walk
  }

  test('lineage up follows relationships to what an asset came from', async (t) => {
    const walk = await chain(t)
    t.expect(await walk('model', 'up', 10)).toEqual([
      edge('model@1.0.0', 'trained_on', 'derived@1.0.0', 1),
      edge('derived@1.0.0', 'derived_from', 'raw@1.0.0', 2),
    ])
  })

  test('lineage stops at the requested depth', async (t) => {
    const walk = await chain(t)
    t.expect(await walk('metrics', 'up', 1)).toEqual([edge('metrics@1.0.0', 'evaluates', 'model@1.0.0', 1)])
    t.expect(await walk('metrics', 'up', 2)).toHaveLength(2)
  })

  test('lineage down finds what came from an asset', async (t) => {
    const walk = await chain(t)
    t.expect(await walk('derived', 'down', 10)).toEqual([
      edge('model@1.0.0', 'trained_on', 'derived@1.0.0', 1),
      edge('metrics@1.0.0', 'evaluates', 'model@1.0.0', 2),
    ])
  })

  test('lineage both combines up and down', async (t) => {
    const walk = await chain(t)
    t.expect(await walk('derived', 'both', 1)).toEqual([
      edge('derived@1.0.0', 'derived_from', 'raw@1.0.0', 1),
      edge('model@1.0.0', 'trained_on', 'derived@1.0.0', 1),
    ])
  })

  test('lineage ends on cycles and reports each edge once', async (t) => {
    const base = `${t.key()}/`
    const link = (from: string, to: string) =>
      t.registry.register(makeRecord(`${base}${from}`, '1.0.0', { relationships: [{ relation: 'uses', key: `${base}${to}`, version: '1.0.0' }] }), { actor: ACTOR })
    await link('a', 'b')
    await link('b', 'c')
    await link('c', 'a')
    const up = simplify(base, await t.registry.lineage(`${base}a`, '1.0.0', { direction: 'up', depth: 500, scope: EVERYONE }))
    t.expect(up).toEqual([edge('a@1.0.0', 'uses', 'b@1.0.0', 1), edge('b@1.0.0', 'uses', 'c@1.0.0', 2), edge('c@1.0.0', 'uses', 'a@1.0.0', 3)])
    const both = simplify(base, await t.registry.lineage(`${base}a`, '1.0.0', { direction: 'both', depth: 500, scope: EVERYONE }))
    t.expect(both).toEqual([edge('a@1.0.0', 'uses', 'b@1.0.0', 1), edge('c@1.0.0', 'uses', 'a@1.0.0', 1), edge('b@1.0.0', 'uses', 'c@1.0.0', 2)])
  })

  test('lineage through a densely connected cycle ends without relying on the depth limit', async (t) => {
    // Every node relates to every other: walking without cycle detection would meet 3^depth paths.
    const base = `${t.key()}/`
    const nodes = ['n0', 'n1', 'n2', 'n3']
    for (const n of nodes) {
      const relationships = nodes.filter((m) => m !== n).map((m) => ({ relation: 'uses', key: `${base}${m}`, version: '1.0.0' }))
      await t.registry.register(makeRecord(`${base}${n}`, '1.0.0', { relationships }), { actor: ACTOR })
    }
    const edges = simplify(base, await t.registry.lineage(`${base}n0`, '1.0.0', { direction: 'up', depth: 60, scope: EVERYONE }))
    t.expect(edges).toHaveLength(12)
    t.expect(edges.filter((e) => e.depth === 1).map((e) => e.to)).toEqual(['n1@1.0.0', 'n2@1.0.0', 'n3@1.0.0'])
    t.expect(edges.every((e) => e.depth <= 2)).toBe(true)
  })

  test('lineage leaves out assets the scope cannot read and does not walk through them', async (t) => {
    const base = `${t.key()}/`
    const add = (name: string, acl: AccessControl | undefined, to?: string) =>
      t.registry.register(
        makeRecord(`${base}${name}`, '1.0.0', {
          ...(acl ? { accessControl: acl } : {}),
          relationships: to ? [{ relation: 'derived_from', key: `${base}${to}`, version: '1.0.0' }] : [],
        }),
        { actor: ACTOR },
      )
    await add('source', undefined)
    await add('hidden', PRIVATE_TO_ALICE, 'source')
    await add('top', undefined, 'hidden')
    const walk = async (name: string, direction: 'up' | 'down', scope: ReadScope) =>
      simplify(base, await t.registry.lineage(`${base}${name}`, '1.0.0', { direction, depth: 10, scope }))
    t.expect(await walk('top', 'up', scopeOf({ user: 'eve' }))).toEqual([])
    t.expect(await walk('source', 'down', scopeOf({ user: 'eve' }))).toEqual([])
    const full = [edge('top@1.0.0', 'derived_from', 'hidden@1.0.0', 1), edge('hidden@1.0.0', 'derived_from', 'source@1.0.0', 2)]
    t.expect(await walk('top', 'up', scopeOf({ user: 'alice' }))).toEqual(full)
    t.expect(await walk('top', 'up', SUPERUSER_SCOPE)).toEqual(full)
  })
}

function maintenance(test: Define): void {
  test('referencedLocations lists every location, deleted versions included', async ({ registry, expect, key }) => {
    const k = key()
    const file = makeRecord(k, '1.0.0')
    const folder = makeRecord(k, '2.0.0', { type: 'folder', fileCount: 2 })
    await registry.register(file, { actor: ACTOR })
    await registry.register(folder, { actor: ACTOR })
    await registry.softDelete(k, '1.0.0', { actor: ACTOR })
    const seen: Array<{ location: string; type: string }> = []
    for await (const l of registry.referencedLocations()) seen.push(l)
    expect(seen).toContainEqual({ location: file.location, type: 'file' })
    expect(seen).toContainEqual({ location: folder.location, type: 'folder' })
    const keys = seen.map((l) => `${l.type}:${l.location}`)
    expect(new Set(keys).size).toBe(keys.length)
  })

  test('expired returns the versions whose expiresAt has passed', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0', { expiresAt: '2001-01-01T00:00:00.000Z' }), { actor: ACTOR })
    await registry.register(makeRecord(k, '2.0.0', { expiresAt: '2999-01-01T00:00:00.000Z' }), { actor: ACTOR })
    await registry.register(makeRecord(k, '3.0.0'), { actor: ACTOR })
    const mine = async (now: Date) => (await registry.expired(now)).filter((r) => r.key === k).map((r) => r.version)
    expect(await mine(new Date())).toEqual(['1.0.0'])
    expect(await mine(new Date('2000-12-31T23:59:59.000Z'))).toEqual([])
    expect(await mine(new Date('2001-01-01T00:00:00.000Z'))).toEqual(['1.0.0'])
  })

  test('purge removes the version with its tags and annotations, and latest moves back', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    const gone = makeRecord(k, '2.0.0')
    await registry.register(gone, { actor: ACTOR, tags: ['production'] })
    await registry.annotate({ key: k, version: '2.0.0', text: 'temporary', user: ACTOR, createdAt: new Date().toISOString() }, { actor: ACTOR })
    await registry.purge(k, '2.0.0', { actor: 'user:gc' })
    expect(await registry.get(k, '2.0.0')).toBeNull()
    expect(await registry.resolve(k, 'latest')).toBe('1.0.0')
    expect(await registry.listTags(k)).toEqual({})
    expect(await registry.listAnnotations(k)).toEqual([])
    expect((await registry.listVersions(k, { includeDeleted: true })).map((r) => r.version)).toEqual(['1.0.0'])
    const locations: string[] = []
    for await (const l of registry.referencedLocations()) locations.push(l.location)
    expect(locations).not.toContain(gone.location)
  })

  test('purge on a version that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    await rejection(expect, registry.purge(key(), '1.0.0', { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })
}

/** Awaits a rejection and checks its stable code, whichever copy of core made the error. */
async function rejection(expect: ExpectStatic, promise: Promise<unknown>, code: AssetErrorCode): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(hasErrorCode(error, code), `expected an error with code ${code}, got ${String(error)}`).toBe(true)
  return error as Error
}
