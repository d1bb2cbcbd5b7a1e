import { type AssetQuery, type AssetRecord, type CompiledQuery, compileQuery, type FieldClause, isoInstant, type ReadScope, type Registry } from '@assets/core'
import { SUPERUSER_SCOPE, scopeOf } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyCatalogue, type CatalogueStep, DATE_STRINGS, generateCatalogue, randomSource } from './fixtures/catalogue.js'
import { type Backend, mysqlBackend, postgresBackend, sqliteBackend } from './fixtures/registries.js'

// The same generated catalogue in every SQL registry: SQLite (the reference), PostgreSQL and
// MySQL/MariaDB. Every query must give the same rows in the same order, with the same paging.
const BASE = 'parity'
const SEED = 20251126
const steps: CatalogueStep[] = generateCatalogue(BASE, SEED)
let reference: Backend
let others: Backend[] = []
let sqlite: Registry

const SCOPES: Record<string, ReadScope> = {
  everyone: scopeOf({ user: 'reader' }),
  alice: scopeOf({ user: 'alice' }),
  bob: scopeOf({ user: 'bob', groups: ['lab'] }),
  carol: scopeOf({ user: 'carol' }),
  dave: scopeOf({ user: 'dave' }),
  reviewer: scopeOf({ user: 'gina', roles: ['reviewer'] }),
  eve: scopeOf({ user: 'eve' }),
  superuser: SUPERUSER_SCOPE,
}

const FIELDS = [
  'organism', 'n_cells', 'score', 'published', 'collected', 'labels', 'stats', 'stats.n_genes', 'stats.depth', 'stats.depth.mean',
  'weird-key_1', 'a', 'a.b', 'deep.er.value', 'deep.er', 'unicode', 'rank', 'missing', 'labels.0',
]
const SCALARS = ['human', 'mouse', 'Human', '', 7, 0, 50, 1000, 1000.5, '1000', 1e21, 1e20, true, false, null, 'true', 'blood', 3, 2, '2', 'x', 1, 'Zürich', '2024-01-15']
const BOUNDS = [-3, 0, 0.5, 50, 999, 1000, 1e20, 1e21, '2023-06-01', '2024-01-15T10:00:00.000Z', '2024-01-15', '2024-01-15T10:00:00.123Z', '2000-01-01T00:00:00Z', '1000-06-01', '9999-12-31', new Date('2024-01-14T23:30:00.000Z')]

interface Case {
  label: string
  query: CompiledQuery
  scope: ReadScope
}

function within(query: AssetQuery = {}): CompiledQuery {
  return compileQuery({ keyPrefix: `${BASE}/`, limit: 1000, ...query })
}

const show = (page: { items: AssetRecord[]; nextCursor?: string }): string =>
  JSON.stringify({ items: page.items.map((r) => `${r.key}@${r.version}`), more: page.nextCursor !== undefined })

/** Runs every case on every registry; returns the differences and how many cases found rows. */
async function compare(cases: Case[]): Promise<{ differences: string[]; withRows: number }> {
  const differences: string[] = []
  let withRows = 0
  for (const c of cases) {
    const expected = await sqlite.query(c.query, c.scope)
    if (expected.items.length > 0) withRows++
    for (const other of others) {
      const actual = await other.registry.query(c.query, c.scope)
      if (show(expected) !== show(actual)) differences.push(`${c.label}\n  sqlite:   ${show(expected)}\n  ${other.name}: ${show(actual)}`)
    }
  }
  return { differences, withRows }
}

beforeAll(async () => {
  reference = sqliteBackend()
  sqlite = reference.registry
  others = [postgresBackend(), await mysqlBackend()]
  for (const backend of [reference, ...others]) await applyCatalogue(backend.registry, steps)
})

afterAll(async () => {
  for (const backend of [reference, ...others]) await backend?.drop()
})

describe('the same results in every SQL registry over a generated catalogue', () => {
  it('the catalogue is large and varied enough to mean something', async () => {
    const registered = steps.filter((s) => s.op === 'register').length
    expect(registered).toBeGreaterThan(250)
    expect(steps.filter((s) => s.op === 'softDelete').length).toBeGreaterThan(20)
    for (const { registry } of [reference, ...others]) {
      const everyVersion = await registry.query(within({ allVersions: true, includeDeleted: true }), SUPERUSER_SCOPE)
      expect(everyVersion.items).toHaveLength(registered)
    }
  })

  it('every operator on every kind of field', async () => {
    const cases: Case[] = []
    const add = (label: string, where: AssetQuery['where']) => cases.push({ label, query: within({ where }), scope: SCOPES.everyone! })
    for (const field of FIELDS) {
      for (const value of SCALARS) {
        add(`${field} = ${JSON.stringify(value)}`, { [field]: value })
        add(`${field} $ne ${JSON.stringify(value)}`, { [field]: { $ne: value } })
        add(`${field} $contains ${JSON.stringify(value)}`, { [field]: { $contains: value } })
      }
      add(`${field} $in mixed`, { [field]: { $in: ['human', 1000, true, null] } })
      add(`${field} $in strings`, { [field]: { $in: ['1000', 'blood', 'x', '2'] } })
      add(`${field} $exists`, { [field]: { $exists: true } })
      add(`${field} not $exists`, { [field]: { $exists: false } })
      for (const bound of BOUNDS) {
        for (const op of ['$gt', '$gte', '$lt', '$lte'] as const) add(`${field} ${op} ${JSON.stringify(bound)}`, { [field]: { [op]: bound } })
      }
    }
    add('several conditions', { organism: 'human', n_cells: { $gte: 50 }, labels: { $exists: true } })
    add('range pair', { score: { $gt: -5, $lte: 5 } })
    const { differences, withRows } = await compare(cases)
    expect(differences).toEqual([])
    expect(withRows).toBeGreaterThan(cases.length / 4)
  })

  it('date strings compare as the ISO 8601 instants they name, and other text is no date', async () => {
    // Bounds exactly at each stored form's instant, so that a string read one millisecond off
    // lands on the other side of some bound.
    const cases: Case[] = []
    for (const text of DATE_STRINGS) {
      const instant = isoInstant(text)
      if (instant === undefined) continue
      for (const op of ['$gt', '$gte', '$lt', '$lte'] as const) {
        const clause: FieldClause = { path: ['collected'], op, value: instant }
        cases.push({ label: `collected ${op} ${instant} (${text})`, query: { ...within(), clauses: [clause] }, scope: SCOPES.everyone! })
      }
    }
    const nonsense: FieldClause = { path: ['collected'], op: '$gt', value: 'not a date' }
    cases.push({ label: 'a bound that is not a date', query: { ...within(), clauses: [nonsense] }, scope: SCOPES.everyone! })
    const { differences, withRows } = await compare(cases)
    expect(differences).toEqual([])
    expect(withRows).toBeGreaterThan(cases.length / 2)
    // A stored string that is not an ISO 8601 date (a Julian day, a bare time) is in no range.
    const all = await sqlite.query(within({ where: { collected: { $gte: '0000-01-01' } }, allVersions: true, includeDeleted: true }), SUPERUSER_SCOPE)
    const texts = all.items.map((r) => r.metadata.collected)
    expect(texts.length).toBeGreaterThan(0)
    expect(texts.every((t) => isoInstant(t) !== undefined)).toBe(true)
  })

  it('sorts on every field, in both orders, over every selection and scope', async () => {
    const fields = ['createdAt', 'key', 'size', 'version', ...FIELDS.map((f) => `metadata.${f}`)] as Array<NonNullable<AssetQuery['sort']>['field']>
    const selections: AssetQuery[] = [{}, { allVersions: true }, { includeDeleted: true }, { allVersions: true, includeDeleted: true }, { tag: 'production' }, { tag: 'stable', includeDeleted: true }]
    const scopes = { everyone: SCOPES.everyone!, bob: SCOPES.bob!, superuser: SUPERUSER_SCOPE }
    const cases: Case[] = []
    for (const selection of selections) {
      for (const [name, scope] of Object.entries(scopes)) {
        cases.push({ label: `default order ${JSON.stringify(selection)} as ${name}`, query: within(selection), scope })
        for (const field of fields) {
          for (const order of ['asc', 'desc'] as const) {
            cases.push({ label: `sort ${field} ${order} ${JSON.stringify(selection)} as ${name}`, query: within({ ...selection, sort: { field, order } }), scope })
          }
        }
      }
    }
    const { differences, withRows } = await compare(cases)
    expect(differences).toEqual([])
    expect(withRows).toBeGreaterThan(cases.length / 2)
  })

  it('text, key prefixes, kinds, tags and creation times', async () => {
    const texts = ['alpha', 'ALPHA', 'über', 'ÜBER', 'σοφος', 'ΣΟΦΟΣ', 'i̇stanbul', 'İstanbul', '100%', '%', '_', 'with_u', '😀', 'datasets/a_b', 'pbmc', 'z', 'zürich']
    const prefixes = ['', '/datasets/', '/Datasets/', '/datasets/a_b', '/datasets/A_B', '/datasets/%', '/x', '/models/alpha.', '/runs/z']
    const times = ['2020-01-01T00:00:00.000Z', '2021-06-01', '2022-03-15T12:00:00Z', '2023-01-01', '2030-01-01']
    const cases: Case[] = []
    const add = (label: string, query: CompiledQuery, scope = SCOPES.everyone!) => cases.push({ label, query, scope })
    for (const text of texts) add(`text ${text}`, within({ text }))
    for (const p of prefixes) add(`keyPrefix ${p}`, compileQuery({ keyPrefix: `${BASE}${p}`, limit: 1000 }))
    for (const kind of ['dataset', 'model', 'config', 'output', 'other'] as const) add(`kind ${kind}`, within({ kind }))
    add('kinds', within({ kind: ['dataset', 'output'] }))
    add('no kinds', within({ kind: [] }))
    for (const tag of ['production', 'stable', 'paper-2025', 'none']) {
      add(`tag ${tag}`, within({ tag }))
      add(`tag ${tag} with deleted`, within({ tag, includeDeleted: true }))
      add(`tag ${tag} as bob`, within({ tag }), SCOPES.bob)
    }
    for (const after of times) {
      add(`createdAfter ${after}`, within({ createdAfter: after, allVersions: true }))
      for (const before of times) add(`between ${after} and ${before}`, within({ createdAfter: after, createdBefore: before }))
    }
    const r = randomSource(7)
    for (let i = 0; i < 150; i++) {
      const query: AssetQuery = {
        where: { [r.pick(FIELDS)]: r.pick([r.pick(SCALARS), { $gte: r.pick(BOUNDS) }, { $exists: r.chance(0.5) }, { $ne: r.pick(SCALARS) }]) } as AssetQuery['where'],
        allVersions: r.chance(0.5),
        includeDeleted: r.chance(0.3),
        sort: { field: r.pick(['createdAt', 'key', 'size', 'version', 'metadata.rank', 'metadata.collected']) as 'key', order: r.pick(['asc', 'desc'] as const) },
      }
      if (r.chance(0.3)) query.text = r.pick(texts)
      if (r.chance(0.3)) query.kind = r.pick(['dataset', 'model'] as const)
      const [scopeName, scope] = r.pick(Object.entries(SCOPES))
      add(`random ${i} ${JSON.stringify(query)} as ${scopeName}`, within(query), scope)
    }
    const { differences, withRows } = await compare(cases)
    expect(differences).toEqual([])
    expect(withRows).toBeGreaterThan(cases.length / 3)
  })

  it('pages through the same rows with the same cursors', async () => {
    const queries: AssetQuery[] = [
      { sort: { field: 'key' } },
      { allVersions: true, includeDeleted: true, sort: { field: 'createdAt', order: 'desc' } },
      { allVersions: true, sort: { field: 'metadata.rank', order: 'desc' } },
      { allVersions: true, sort: { field: 'size' } },
      { where: { n_cells: { $exists: true } }, sort: { field: 'version', order: 'desc' } },
    ]
    const differences: string[] = []
    let pages = 0
    for (const query of queries) {
      for (const [name, scope] of Object.entries(SCOPES)) {
        for (const other of others) {
          let cursor: string | undefined
          let cursorOther: string | undefined
          do {
            const expected = await sqlite.query(compileQuery({ keyPrefix: `${BASE}/`, limit: 7, cursor, ...query }), scope)
            const actual = await other.registry.query(compileQuery({ keyPrefix: `${BASE}/`, limit: 7, cursor: cursorOther, ...query }), scope)
            pages++
            if (show(expected) !== show(actual)) differences.push(`${other.name}: ${JSON.stringify(query)} as ${name} at ${cursor}: ${show(expected)} / ${show(actual)}`)
            cursor = expected.nextCursor
            cursorOther = actual.nextCursor
            if (cursor !== cursorOther) break
          } while (cursor !== undefined)
        }
      }
    }
    expect(differences).toEqual([])
    expect(pages).toBeGreaterThan(100)
  })

  it('records, versions, latest, tags and lineage read back the same', async () => {
    const keys = [...new Set(steps.flatMap((s) => (s.op === 'register' ? [s.record.key] : [])))]
    const differences: string[] = []
    // Deletion times are each registry's own clock; everything else, key order included, must match.
    const stable = (record: AssetRecord | null) => (record ? { ...record, deletedAt: record.deletedAt === undefined ? undefined : 'set' } : null)
    for (const { name, registry: other } of others) {
      const same = (label: string, a: unknown, b: unknown) => {
        if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${name}: ${label}: ${JSON.stringify(a)} / ${JSON.stringify(b)}`)
      }
      for (const key of keys) {
        const all = await sqlite.listVersions(key, { includeDeleted: true })
        same(`listVersions ${key}`, all.map(stable), (await other.listVersions(key, { includeDeleted: true })).map(stable))
        same(`live versions ${key}`, (await sqlite.listVersions(key)).map((r) => r.version), (await other.listVersions(key)).map((r) => r.version))
        same(`latest ${key}`, await sqlite.resolve(key, 'latest'), await other.resolve(key, 'latest'))
        same(`tags ${key}`, await sqlite.listTags(key), await other.listTags(key))
        for (const tag of ['production', 'stable', 'paper-2025']) same(`resolve ${key} ${tag}`, await sqlite.resolve(key, tag), await other.resolve(key, tag))
        for (const { version } of all) {
          same(`get ${key}@${version}`, stable(await sqlite.get(key, version)), stable(await other.get(key, version)))
          for (const direction of ['up', 'down', 'both'] as const) {
            for (const [scopeName, scope] of [['everyone', SCOPES.everyone!], ['superuser', SUPERUSER_SCOPE]] as const) {
              const options = { direction, depth: 50, scope }
              same(`lineage ${key}@${version} ${direction} as ${scopeName}`, await sqlite.lineage(key, version, options), await other.lineage(key, version, options))
            }
          }
        }
      }
      same('expired', (await sqlite.expired(new Date('2022-01-01'))).map(stable), (await other.expired(new Date('2022-01-01'))).map(stable))
    }
    expect(differences).toEqual([])
  })
})
