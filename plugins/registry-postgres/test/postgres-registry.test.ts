import { type CompiledQuery, compileQuery, hasErrorCode, sha256, Value } from '@assets/core'
import { registrySuite } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import plugin, { createPostgresRegistry, MIGRATIONS, PostgresRegistryOptionsSchema } from '../src/index.js'
import { compileToSql } from '@assets/registry-sql'
import { postgresDialect } from '../src/postgres-dialect.js'
import { adminConnection, freshSchema, registryOptions, testDatabase } from './fixtures/database.js'
import { makeRecord as fileRecord } from '@assets/testkit'

const admin = adminConnection()
afterAll(() => admin.end())
const everyone = { principals: ['*', 'user:tester'], superuser: false }
const actor = { actor: 'user:tester' }

async function schemaExists(schema: string): Promise<boolean> {
  const [row] = await admin.unsafe<Array<{ found: boolean }>>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS found', [schema])
  return row?.found ?? false
}

/** The one table of leases that releases before schema 7 had, in place of holds and claims. */
async function oldLeaseTable(schema: string): Promise<void> {
  await admin.unsafe(`DROP TABLE "${schema}".content_holds, "${schema}".content_claims`)
  await admin.unsafe(`CREATE TABLE "${schema}".content_leases (location text COLLATE "C" NOT NULL, holder text COLLATE "C" NOT NULL,
    claim boolean NOT NULL, expires_at timestamptz NOT NULL, PRIMARY KEY (location, holder))`)
}

describe('conformance', () => {
  const schema = freshSchema('suite')
  registrySuite(it, () => createPostgresRegistry(registryOptions(schema)), { tokens: true })
})

describe('postgres registry', () => {
  it('creating a registry does no I/O until it is first used', async () => {
    const schema = freshSchema('lazy')
    const registry = createPostgresRegistry(registryOptions(schema))
    const connections = () =>
      admin.unsafe<Array<{ n: number }>>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [`@assets/registry-postgres ${schema}`])
    expect((await connections())[0]?.n).toBe(0)
    expect(await schemaExists(schema)).toBe(false)
    expect(await registry.resolve('datasets/none', 'latest')).toBeNull()
    expect(await schemaExists(schema)).toBe(true)
    expect((await connections())[0]?.n).toBeGreaterThan(0)
    await registry.close()
  })

  it('the plugin definition validates its options and creates a registry without connecting', () => {
    expect(plugin).toMatchObject({ kind: 'registry', name: 'postgres', specificationVersion: 1 })
    const check = (options: unknown) => Value.Check(PostgresRegistryOptionsSchema, options)
    expect(check({ host: 'db.internal' })).toBe(true)
    expect(check({ url: 'postgresql://app@db.internal:6432/assets?sslmode=require' })).toBe(true)
    expect(check({ host: 'db', port: 5433, database: 'assets', user: 'app', password: 'pw', sslMode: 'verify-full', schema: 'team_a' })).toBe(true)
    expect(check({ host: 'db', maxConnections: 4, connectTimeoutSeconds: 0.5 })).toBe(true)
    expect(check({ url: 'mysql://db/assets' })).toBe(false)
    expect(check({ host: 'db', port: 0 })).toBe(false)
    expect(check({ host: 'db', sslMode: 'on' })).toBe(false)
    expect(check({ host: 'db', schema: 'team-a' })).toBe(false)
    expect(check({ host: 'db', maxConnections: 0 })).toBe(false)
    expect(check({ host: 'db', path: 'x.db' })).toBe(false)
    expect(Value.Default(PostgresRegistryOptionsSchema, { host: 'db' })).toEqual({
      host: 'db',
      port: 5432,
      schema: 'public',
      maxConnections: 10,
      connectTimeoutSeconds: 5,
    })
    const context = { dataDir: '/tmp', cacheDir: '/tmp', allowInsecureStorage: false, logger: { warn() {} }, env: {} }
    const registry = plugin.create({ host: '127.0.0.1', port: 1, schema: 'never_used' }, context)
    expect(registry.name).toBe('postgres')
  })

  it('malformed options fail at creation with CONFIG_INVALID, never echoing a password', () => {
    const failure = (options: Parameters<typeof createPostgresRegistry>[0]): Error => {
      try {
        createPostgresRegistry(options)
      } catch (error) {
        expect(hasErrorCode(error, 'CONFIG_INVALID')).toBe(true)
        return error as Error
      }
      throw new Error('expected CONFIG_INVALID')
    }
    expect(failure({}).message).toMatch(/host \(DB_HOST\) or url/)
    expect(failure({ host: 'db', schema: 'x"; DROP TABLE versions; --' }).message).toMatch(/registry\.schema/)
    const secret = 'hunter2-secret'
    const badUrl = failure({ url: `postgres://app:${secret}@db:notaport/assets` })
    expect(badUrl.message).toMatch(/registry\.url/)
    const badPassword = failure({ host: 'db', password: 42 as unknown as string })
    for (const error of [badUrl, badPassword]) expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain(secret)
  })

  it('url and separate fields reach the same catalogue', async () => {
    const schema = freshSchema('url')
    const byUrl = createPostgresRegistry({ url: `postgres://postgres@127.0.0.1:5432/${testDatabase()}`, schema })
    await byUrl.register(fileRecord('datasets/by-url', '1.0.0'), actor)
    const byFields = createPostgresRegistry(registryOptions(schema))
    expect(await byFields.resolve('datasets/by-url', 'latest')).toBe('1.0.0')
    await Promise.all([byUrl.close(), byFields.close()])
  })

  it('sslMode reaches the client: require insists on TLS, disable and prefer connect to a server without it', async () => {
    const [row] = await admin.unsafe<Array<{ ssl: string }>>('SHOW ssl')
    const serverHasTls = row?.ssl === 'on'
    for (const sslMode of ['disable', 'prefer', 'require'] as const) {
      const registry = createPostgresRegistry(registryOptions(freshSchema('ssl'), { sslMode }))
      const outcome = await registry.listTags('datasets/x').then(
        () => 'connected',
        (e: unknown) => (hasErrorCode(e, 'BACKEND_UNAVAILABLE') ? 'unavailable' : String(e)),
      )
      const expected = sslMode === 'disable' || serverHasTls || sslMode === 'prefer' ? 'connected' : 'unavailable'
      expect(`${sslMode}: ${outcome}`).toBe(`${sslMode}: ${expected}`)
      await registry.close()
    }
  })

  it('a schema migrated by a newer release is refused', async () => {
    const schema = freshSchema('newer')
    const registry = createPostgresRegistry(registryOptions(schema))
    await registry.listTags('datasets/x')
    await registry.close()
    await admin.unsafe(`INSERT INTO "${schema}".schema_version (version, name, applied_at) VALUES (999, 'future', 'now')`)
    const error = await createPostgresRegistry(registryOptions(schema))
      .listTags('datasets/x')
      .catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toMatch(/newer than this plugin knows/)
  })

  it('upgrading from schema 4 derives the dates of rows already there again, ISO 8601 only', async () => {
    const schema = freshSchema('dates')
    const registry = createPostgresRegistry(registryOptions(schema))
    await registry.register(fileRecord('dates/julian', '1.0.0', { metadata: { at: '2460000.5' } }), actor)
    await registry.register(fileRecord('dates/iso', '1.0.0', { metadata: { at: '2024-01-15T01:30:00+02:00' } }), actor)
    await registry.close()
    // As a release before 5 left them: the dates SQLite's functions read, a Julian day included.
    await admin.unsafe(`UPDATE "${schema}".versions SET metadata_dates = '{"at": "2023-02-24T12:00:00.000Z"}' WHERE key = 'dates/julian'`)
    await admin.unsafe(`UPDATE "${schema}".versions SET metadata_dates = '{"at": "2024-01-14T23:30:00.000Z"}' WHERE key = 'dates/iso'`)
    // A release before 5 had neither migration 5 nor the API tokens table of 6.
    await admin.unsafe(`DELETE FROM "${schema}".schema_version WHERE version >= 5`)
    await admin.unsafe(`DROP TABLE "${schema}".api_tokens`)
    await oldLeaseTable(schema)
    const upgraded = createPostgresRegistry(registryOptions(schema))
    const keys = async (where: NonNullable<Parameters<typeof compileQuery>[0]>['where']) =>
      (await upgraded.query(compileQuery({ where, keyPrefix: 'dates/' }), everyone)).items.map((r) => r.key)
    expect(await keys({ at: { $gte: '2000-01-01' } })).toEqual(['dates/iso'])
    expect(await keys({ at: { $lt: '2024-01-15' } })).toEqual(['dates/iso'])
    const [version] = await admin.unsafe<Array<{ v: number }>>(`SELECT max(version) AS v FROM "${schema}".schema_version`)
    expect(version?.v).toBe(MIGRATIONS.at(-1)?.version)
    expect(await upgraded.tokens.listTokens()).toEqual([])
    await upgraded.close()
  })

  it('upgrading from schema 6 carries live holds and claims over to their own tables', async () => {
    const schema = freshSchema('leases')
    const registry = createPostgresRegistry(registryOptions(schema))
    await registry.resolve('datasets/none', 'latest')
    await registry.close()
    await admin.unsafe(`DELETE FROM "${schema}".schema_version WHERE version >= 7`)
    await oldLeaseTable(schema)
    const lease = `INSERT INTO "${schema}".content_leases (location, holder, claim, expires_at) VALUES ($1, $2, $3, now() + interval '10 minutes')`
    await admin.unsafe(lease, ['blobs/held', 'put:old', false])
    await admin.unsafe(lease, ['blobs/claimed', 'gc:old', true])
    const upgraded = createPostgresRegistry(registryOptions(schema))
    expect(await upgraded.claimContent('gc:new', ['blobs/held', 'blobs/free'], 60_000)).toEqual({ claimed: ['blobs/free'] })
    expect(await upgraded.holdContent('put:new', ['blobs/claimed'], 60_000)).toEqual({ refused: ['blobs/claimed'] })
    await upgraded.close()
    const [old] = await admin.unsafe<Array<{ found: string | null }>>(`SELECT to_regclass('"${schema}".content_leases')::text AS found`)
    expect(old?.found).toBeNull()
  })

  it('metadata filters never wait on a GIN pending list: registrations go straight into the index', async () => {
    const schema = freshSchema('gin')
    const registry = createPostgresRegistry(registryOptions(schema))
    for (let i = 0; i < 20; i++) {
      await registry.register(fileRecord(`gin/${i}`, '1.0.0', { metadata: { organism: i % 2 ? 'human' : 'mouse' } }), actor)
    }
    const [index] = await admin.unsafe<Array<{ options: string[] | null }>>(
      `SELECT c.reloptions AS options FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'versions_metadata'`,
      [schema],
    )
    expect(index?.options).toContain('fastupdate=off')
    const found = await registry.query(compileQuery({ where: { organism: 'human' }, limit: 100 }), everyone)
    expect(found.items).toHaveLength(10)
    await registry.close()
  })

  it('a closed registry refuses further calls', async () => {
    const registry = createPostgresRegistry(registryOptions(freshSchema('closed')))
    await registry.listTags('datasets/x')
    await registry.close()
    const error = await registry.listTags('datasets/x').catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toMatch(/closed/)
  })

  it('two schemas of one database are separate catalogues', async () => {
    const [a, b] = [createPostgresRegistry(registryOptions(freshSchema('team_a'))), createPostgresRegistry(registryOptions(freshSchema('team_b')))]
    await a!.register(fileRecord('datasets/shared-name', '1.0.0'), actor)
    expect(await b!.get('datasets/shared-name', '1.0.0')).toBeNull()
    expect((await b!.query(compileQuery({}), everyone)).items).toEqual([])
    await Promise.all([a!.close(), b!.close()])
  })

  it('records come back as written: metadata key order, JSON nulls and nested values', async () => {
    const registry = createPostgresRegistry(registryOptions(freshSchema('fidelity')))
    const record = fileRecord('datasets/fidelity', '1.0.0', {
      metadata: { zeta: 1, alpha: { y: [1, 'two', null], b: true }, mid: 'ü', big: 1e21, tiny: 2.5e-7 },
      specs: null,
      declarativeSchema: 'a string',
      provenance: { license: 'CC-BY-4.0', author: 'Ada' },
    })
    await registry.register(record, actor)
    const stored = await registry.get('datasets/fidelity', '1.0.0')
    expect(stored).toEqual(record)
    // jsonb would reorder keys; the document as written is what comes back.
    expect(JSON.stringify(stored?.metadata)).toBe(JSON.stringify(record.metadata))
    expect(JSON.stringify(stored?.provenance)).toBe(JSON.stringify(record.provenance))
    expect(stored).toHaveProperty('specs', null)
    await registry.close()
  })

  it('text PostgreSQL cannot store (NUL, a lone surrogate in JSON) is refused as invalid input, and nothing is registered', async () => {
    const registry = createPostgresRegistry(registryOptions(freshSchema('nul')))
    const unstorable = [{ metadata: { note: 'a\u0000b' } }, { description: 'nul \u0000 inside' }, { metadata: { half: 'lone \ud800 surrogate' } }]
    for (const overrides of unstorable) {
      const error = await registry.register(fileRecord('datasets/nul', '1.0.0', overrides), actor).catch((e: unknown) => e)
      expect(hasErrorCode(error, 'INVALID_INPUT')).toBe(true)
    }
    expect(await registry.get('datasets/nul', '1.0.0')).toBeNull()
    expect(await registry.audit({ key: 'datasets/nul' })).toEqual([])
    await registry.close()
  })

  it('keys sort byte by byte although the database collation is not C', async () => {
    const [collation] = await admin.unsafe<Array<{ locale: string | null; collate: string }>>(
      'SELECT daticulocale AS locale, datcollate AS collate FROM pg_database WHERE datname = current_database()',
    )
    // The test database is created with ICU en-US where the server supports it (PostgreSQL 15+).
    expect(collation?.locale ?? collation?.collate).not.toBe('C')
    const registry = createPostgresRegistry(registryOptions(freshSchema('bytes')))
    for (const name of ['a_b', 'aXb', 'A_B', 'B', 'b']) await registry.register(fileRecord(`sorting/${name}`, '1.0.0'), actor)
    const page = await registry.query(compileQuery({ keyPrefix: 'sorting/', sort: { field: 'key' } }), everyone)
    expect(page.items.map((r) => r.key.slice('sorting/'.length))).toEqual(['A_B', 'B', 'aXb', 'a_b', 'b'])
    await registry.close()
  })

  it('metadata equality is answered from the GIN index', async () => {
    const schema = freshSchema('gin')
    const registry = createPostgresRegistry(registryOptions(schema))
    await registry.register(fileRecord('datasets/indexed', '1.0.0', { metadata: { organism: 'human', tissue: 'blood' } }), actor)
    // Enough other rows for the planner to prefer the index over reading the table.
    await admin.unsafe(`
      INSERT INTO "${schema}".versions (key, version, kind, type, digest, size, file_count, location, metadata, metadata_json,
        metadata_dates, metadata_json_texts, key_folded, description_folded, relationships, acl, created_by, created_at,
        is_latest, is_head, v_major, v_minor, v_patch)
      SELECT 'bulk/' || i, '1.0.0', 'dataset', 'file', 'sha256:x', 1, 1, 'loc', jsonb_build_object('organism', 'mouse', 'n', i),
        '{}', '{}', '{}', 'bulk/' || i, '', '[]', '{"owner": "user:x", "read": ["*"], "write": [], "admin": []}', 'user:x',
        '2024-01-01T00:00:00.000Z', TRUE, TRUE, 1, 0, 0
      FROM generate_series(1, 5000) AS i`)
    await admin.unsafe(`ANALYZE "${schema}".versions`)
    const { sql: text, params } = compileToSql(compileQuery({ where: { organism: 'human', tissue: 'blood' } }), everyone, postgresDialect(schema))
    const plan = await admin.unsafe<Array<{ 'QUERY PLAN': string }>>(`EXPLAIN ${text}`, params)
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/Bitmap Index Scan on versions_metadata/)
    expect((await registry.query(compileQuery({ where: { organism: 'human', tissue: 'blood' } }), everyone)).items.map((r) => r.key)).toEqual([
      'datasets/indexed',
    ])
    await registry.close()
  })

  describe('SQL injection attempts are harmless', () => {
    const dropTable = `x'); DROP TABLE versions; --`
    const hostile = [`' OR 1=1 --`, dropTable, `" OR ""="`, `%' OR key LIKE '%`, `\\'; DELETE FROM tags; --`, `$1) OR TRUE --`, `{"a": 1}'::jsonb OR TRUE --`, `human\u0000' OR TRUE`]

    const setUp = async () => {
      const registry = createPostgresRegistry(registryOptions(freshSchema('injection')))
      await registry.register(fileRecord('datasets/safe', '1.0.0', { metadata: { note: dropTable, organism: 'human' }, description: 'plain' }), {
        ...actor,
        tags: ['stable'],
      })
      await registry.register(fileRecord('datasets/other', '1.0.0', { metadata: { organism: 'mouse' } }), actor)
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
        const forged: CompiledQuery = { ...compileQuery({}), clauses: [{ path: ['organism'], op: '$gt', value }] }
        expect((await registry.query(forged, everyone)).items).toEqual([])
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
