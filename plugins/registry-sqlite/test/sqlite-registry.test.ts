import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CompiledQuery, compileQuery, hasErrorCode, sha256 } from '@assets/core'
import { registrySuite, runRegistryJobs } from '@assets/testkit'
import { Value } from '@assets/core'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import plugin, { createSqliteRegistry, MIGRATIONS, SqliteRegistryOptionsSchema } from '../src/index.js'
import { BUILT_PLUGIN } from './fixtures/built-plugin.js'
import { makeRecord as fileRecord } from '@assets/testkit'

const folder = mkdtempSync(join(tmpdir(), 'registry-sqlite-'))
const freshPath = (name: string): string => join(mkdtempSync(join(folder, `${name}-`)), 'registry.db')
const everyone = { principals: ['*', 'user:tester'], superuser: false }
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe('conformance', () => {
  const shared = join(folder, 'suite.db')
  registrySuite(it, () => createSqliteRegistry({ path: shared }), { tokens: true })
})

describe('sqlite registry', () => {
  it('creating a registry does no I/O until it is first used', async () => {
    const path = join(folder, 'lazy', 'nested', 'registry.db')
    const registry = createSqliteRegistry({ path })
    expect(existsSync(path)).toBe(false)
    expect(await registry.resolve('datasets/none', 'latest')).toBeNull()
    expect(existsSync(path)).toBe(true)
    await registry.close()
  })

  it('the plugin definition validates its options and creates a registry', () => {
    expect(plugin).toMatchObject({ kind: 'registry', name: 'sqlite', specificationVersion: 1 })
    expect(Value.Check(SqliteRegistryOptionsSchema, { path: 'registry.db' })).toBe(true)
    expect(Value.Check(SqliteRegistryOptionsSchema, { path: 'registry.db', busyTimeoutMs: 100 })).toBe(true)
    expect(Value.Check(SqliteRegistryOptionsSchema, {})).toBe(false)
    expect(Value.Check(SqliteRegistryOptionsSchema, { path: 'x.db', busyTimeoutMs: -1 })).toBe(false)
    expect(Value.Check(SqliteRegistryOptionsSchema, { path: 'x.db', host: 'db' })).toBe(false)
    expect(Value.Default(SqliteRegistryOptionsSchema, { path: 'x.db' })).toEqual({ path: 'x.db', busyTimeoutMs: 5000, shared: false })
    const context = { dataDir: folder, cacheDir: folder, allowInsecureStorage: false, logger: { warn() {} }, env: {} }
    const registry = plugin.create({ path: join(folder, 'never-opened', 'r.db') }, context)
    expect(registry.name).toBe('sqlite')
    expect(existsSync(join(folder, 'never-opened'))).toBe(false)
  })

  it('a path that cannot be opened gives BackendUnavailableError naming the path', async () => {
    const isFolder = createSqliteRegistry({ path: folder })
    const error = await isFolder.resolve('datasets/x', 'latest').catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toContain(`could not open ${folder}`)
    expect((error as Error).cause).toBeDefined()

    const file = join(folder, 'plain-file')
    writeFileSync(file, 'not a folder')
    const underFile = createSqliteRegistry({ path: join(file, 'registry.db') })
    expect(hasErrorCode(await underFile.listTags('datasets/x').catch((e: unknown) => e), 'BACKEND_UNAVAILABLE')).toBe(true)
  })

  it('a database whose schema is newer than the plugin is refused', async () => {
    const path = freshPath('newer')
    const registry = createSqliteRegistry({ path })
    await registry.listTags('datasets/x')
    await registry.close()
    const db = new Database(path)
    db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (999, ?, ?)').run('future', new Date().toISOString())
    db.close()
    const error = await createSqliteRegistry({ path }).listTags('datasets/x').catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toMatch(/newer than this plugin knows/)
  })

  it('a closed registry refuses further calls', async () => {
    const registry = createSqliteRegistry({ path: freshPath('closed') })
    await registry.listTags('datasets/x')
    await registry.close()
    expect(hasErrorCode(await registry.listTags('datasets/x').catch((e: unknown) => e), 'BACKEND_UNAVAILABLE')).toBe(true)
  })

  it('the database is in WAL mode so that readers do not block writers', async () => {
    const path = freshPath('wal')
    const registry = createSqliteRegistry({ path })
    await registry.register(fileRecord('datasets/wal', '1.0.0'), { actor: 'user:tester' })
    await registry.close()
    const db = new Database(path, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('migrations run once when several processes open a new database at once', async () => {
    const path = freshPath('migrate')
    const entries = [1, 2, 3, 4].map((n) => ({ key: `outputs/process-${n}`, version: '1.0.0', content: `run ${n}` }))
    const outcomes = await runRegistryJobs(BUILT_PLUGIN, { path, busyTimeoutMs: 30_000 }, entries.map((e) => ({ job: 'register' as const, ...e })))
    expect(outcomes.map((o) => o.outcome)).toEqual(['created', 'created', 'created', 'created'])
    const db = new Database(path, { readonly: true })
    const applied = db.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all()
    expect(applied).toEqual(MIGRATIONS.map((m) => m.version))
    db.close()
    const registry = createSqliteRegistry({ path })
    for (const e of entries) expect(await registry.resolve(e.key, 'latest')).toBe('1.0.0')
    await registry.close()
  })

  it('upgrading a version-1 database fills the signature and the dates of rows already there', async () => {
    const path = freshPath('upgrade')
    const old = new Database(path)
    old.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)')
    const first = MIGRATIONS[0]
    if (first === undefined) throw new Error('no migrations')
    old.exec(first.sql)
    old.prepare('INSERT INTO schema_version VALUES (1, ?, ?)').run(first.name, new Date().toISOString())
    const acl = JSON.stringify({ owner: 'user:tester', read: ['*'], write: [], admin: [] })
    const insert = old.prepare(`INSERT INTO versions (key, version, kind, type, digest, size, file_count, location, metadata,
      relationships, acl, created_by, created_at, is_latest, is_head, v_major, v_minor, v_patch)
      VALUES (?, '1.0.0', 'dataset', 'file', ?, 1, 1, 'blobs/x', ?, '[]', ?, 'user:tester', ?, 1, 1, 1, 0, 0)`)
    insert.run('old/human', sha256('a'), JSON.stringify({ organism: 'human', n: 2, at: '2024-01-15T01:30:00+02:00' }), acl, '2024-01-01T00:00:00.000Z')
    insert.run('old/mouse', sha256('b'), JSON.stringify({ organism: 'mouse', n: 2, at: '2460000.5' }), acl, '2024-01-02T00:00:00.000Z')
    old.close()
    const registry = createSqliteRegistry({ path })
    const found = await registry.query(compileQuery({ where: { organism: 'human', n: 2.0 } }), everyone)
    expect(found.items.map((r) => r.key)).toEqual(['old/human'])
    // Dates of rows already there are derived by the upgrade: an ISO date is its instant, a
    // Julian day number (which SQLite's date functions read) is no date.
    const dated = await registry.query(compileQuery({ where: { at: { $gte: '2000-01-01' } } }), everyone)
    expect(dated.items.map((r) => r.key)).toEqual(['old/human'])
    const before = await registry.query(compileQuery({ where: { at: { $lt: '2024-01-15' } } }), everyone)
    expect(before.items.map((r) => r.key)).toEqual(['old/human'])
    // The annotations table of version 1 takes annotations after the upgrade.
    await registry.annotate({ key: 'old/human', version: '1.0.0', text: 'still here', user: 'tester', createdAt: '2024-02-01T00:00:00.000Z' }, { actor: 'user:tester' })
    expect((await registry.listAnnotations('old/human')).map((a) => [a.text, a.user])).toEqual([['still here', 'tester']])
    // And the API tokens table of version 6 is there.
    expect(await registry.tokens.listTokens()).toEqual([])
    await registry.close()
    const db = new Database(path, { readonly: true })
    expect(db.prepare('SELECT max(version) FROM schema_version').pluck().get()).toBe(MIGRATIONS.at(-1)?.version)
    expect(db.prepare('SELECT count(*) FROM versions WHERE metadata_sig = 0').pluck().get()).toBe(0)
    db.close()
  })

  it('upgrading from schema 6 carries live holds and claims over to their own tables', async () => {
    const path = freshPath('leases')
    const registry = createSqliteRegistry({ path })
    await registry.resolve('datasets/none', 'latest')
    await registry.close()
    // As a release before 7 left it: one table of leases, a put's hold and gc's claim in it.
    const old = new Database(path)
    old.exec('DROP TABLE content_holds; DROP TABLE content_claims; DELETE FROM schema_version WHERE version >= 7')
    old.exec(MIGRATIONS.find((m) => m.version === 4)?.sql ?? '')
    const lease = old.prepare('INSERT INTO content_leases (location, holder, claim, expires_at) VALUES (?, ?, ?, ?)')
    lease.run('blobs/held', 'put:old', 0, Date.now() + 600_000)
    lease.run('blobs/claimed', 'gc:old', 1, Date.now() + 600_000)
    old.close()
    const upgraded = createSqliteRegistry({ path })
    expect(await upgraded.claimContent('gc:new', ['blobs/held', 'blobs/free'], 60_000)).toEqual({ claimed: ['blobs/free'] })
    expect(await upgraded.holdContent('put:new', ['blobs/claimed'], 60_000)).toEqual({ refused: ['blobs/claimed'] })
    await upgraded.close()
    const db = new Database(path, { readonly: true })
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'content_leases'").pluck().get()).toBe(0)
    expect(db.prepare('SELECT max(version) FROM schema_version').pluck().get()).toBe(MIGRATIONS.at(-1)?.version)
    db.close()
  })

  it('processes registering one version with different digests at once leave exactly one winner', async () => {
    const path = freshPath('race')
    const registry = createSqliteRegistry({ path })
    // Migrated first, so that the race is on the version row itself.
    await registry.listTags('outputs/race')
    const entries = [1, 2, 3, 4, 5].map((n) => ({ key: 'outputs/race', version: '1.0.0', content: `attempt ${n}` }))
    const outcomes = await runRegistryJobs(BUILT_PLUGIN, { path, busyTimeoutMs: 30_000 }, entries.map((e) => ({ job: 'register' as const, ...e })))
    const winners = outcomes.filter((o) => o.outcome === 'created')
    expect(winners).toHaveLength(1)
    expect(outcomes.filter((o) => o.outcome === 'VERSION_CONFLICT')).toHaveLength(4)
    expect((await registry.get('outputs/race', '1.0.0'))?.digest).toBe(winners[0]?.digest)
    expect(await registry.audit({ key: 'outputs/race', action: 'register' })).toHaveLength(1)
    await registry.close()
  })

  it('range operators compare dates stored in other ISO forms as the instants they are', async () => {
    const registry = createSqliteRegistry({ path: freshPath('dates') })
    const stored = { plain: '2024-01-15', offset: '2024-01-15T01:30:00+02:00', seconds: '2024-01-15T00:00:00Z', word: 'yesterday' }
    for (const [name, at] of Object.entries(stored)) {
      await registry.register(fileRecord(`dates/${name}`, '1.0.0', { metadata: { at } }), { actor: 'user:tester' })
    }
    const keys = async (where: NonNullable<Parameters<typeof compileQuery>[0]>['where']) =>
      (await registry.query(compileQuery({ where, sort: { field: 'key' } }), everyone)).items.map((r) => r.key)
    // 01:30+02:00 is 23:30 UTC the day before.
    expect(await keys({ at: { $lt: '2024-01-15T00:00:00.000Z' } })).toEqual(['dates/offset'])
    expect(await keys({ at: { $gte: '2024-01-15T00:00:00.000Z' } })).toEqual(['dates/plain', 'dates/seconds'])
    expect(await keys({ at: { $lte: new Date('2024-01-15T00:00:00.000Z') } })).toEqual(['dates/offset', 'dates/plain', 'dates/seconds'])
    await registry.close()
  })

  it('text search folds the case of non-ASCII descriptions', async () => {
    const registry = createSqliteRegistry({ path: freshPath('unicode') })
    await registry.register(fileRecord('datasets/zellatlas', '1.0.0', { description: 'ÜBERSICHT der Zelltypen' }), { actor: 'user:tester' })
    const found = await registry.query(compileQuery({ text: 'übersicht' }), everyone)
    expect(found.items.map((r) => r.key)).toEqual(['datasets/zellatlas'])
    await registry.close()
  })

  describe('SQL injection attempts are harmless', () => {
    const dropTable = `x'); DROP TABLE versions; --`
    const hostile = [
      `' OR 1=1 --`,
      dropTable,
      `" OR ""="`,
      `%' OR key LIKE '%`,
      `\\'; DELETE FROM tags; --`,
    ]

    const setUp = async () => {
      const registry = createSqliteRegistry({ path: freshPath('injection') })
      await registry.register(fileRecord('datasets/safe', '1.0.0', { metadata: { note: dropTable, organism: 'human' }, description: 'plain' }), {
        actor: 'user:tester',
        tags: ['stable'],
      })
      await registry.register(fileRecord('datasets/other', '1.0.0', { metadata: { organism: 'mouse' } }), { actor: 'user:tester' })
      const count = async (query: Parameters<typeof compileQuery>[0]) => (await registry.query(compileQuery(query), everyone)).items.length
      return { registry, count }
    }

    it('in query values, text, tags and key prefixes', async () => {
      const { registry, count } = await setUp()
      for (const value of hostile) {
        expect(await count({ where: { organism: value } })).toBe(0)
        expect(await count({ where: { organism: { $in: [value] } } })).toBe(0)
        expect(await count({ where: { organism: { $contains: value } } })).toBe(0)
        expect(await count({ text: value })).toBe(0)
        expect(await count({ tag: value })).toBe(0)
        expect(await count({ keyPrefix: value })).toBe(0)
        expect(await count({ where: { organism: { $ne: value } } })).toBe(2)
        expect(await registry.resolve('datasets/safe', value)).toBeNull()
      }
      // A stored hostile string is data: it matches itself exactly and nothing else.
      expect(await count({ where: { note: dropTable } })).toBe(1)
      expect(await count({ where: { organism: 'human' } })).toBe(1)
      expect(await registry.listTags('datasets/safe')).toEqual({ stable: '1.0.0' })
      await registry.close()
    })

    it('in keys, versions, tags and metadata paths', async () => {
      const { registry, count } = await setUp()
      for (const value of hostile) {
        expect(hasErrorCode(await registry.get(value, '1.0.0').catch((e: unknown) => e), 'INVALID_KEY')).toBe(true)
        expect(hasErrorCode(await registry.get('datasets/safe', value).catch((e: unknown) => e), 'INVALID_VERSION')).toBe(true)
        expect(hasErrorCode(await registry.setTag('datasets/safe', value, '1.0.0', { actor: 'user:x' }).catch((e: unknown) => e), 'INVALID_INPUT')).toBe(true)
        const forged: CompiledQuery = { ...compileQuery({}), clauses: [{ path: [value], op: '$exists', value: true }] }
        expect(hasErrorCode(await registry.query(forged, everyone).catch((e: unknown) => e), 'INVALID_QUERY')).toBe(true)
        const forgedSort: CompiledQuery = { ...compileQuery({}), sort: { field: 'metadata', path: [value], order: 'asc' } }
        expect(hasErrorCode(await registry.query(forgedSort, everyone).catch((e: unknown) => e), 'INVALID_QUERY')).toBe(true)
      }
      expect(await count({})).toBe(2)
      expect((await registry.get('datasets/safe', '1.0.0'))?.digest).toBe(sha256('datasets/safe@1.0.0'))
      await registry.close()
    })

    it('in principals of the read scope', async () => {
      const { registry } = await setUp()
      await registry.setAccessControl('datasets/safe', undefined, { owner: 'user:alice', read: [], write: [], admin: [] }, { actor: 'user:x' })
      for (const value of hostile) {
        const page = await registry.query(compileQuery({}), { principals: [value], superuser: false })
        expect(page.items.map((r) => r.key)).toEqual(['datasets/other'])
      }
      await registry.close()
    })
  })
})
