import { type CompiledQuery, compileQuery, hasErrorCode, sha256, Value } from '@assets/core'
import { makeRecord as fileRecord, registrySuite } from '@assets/testkit'
import { beforeAll, describe, expect, it } from 'vitest'
import plugin, { createMysqlRegistry, MIGRATIONS, MysqlRegistryOptionsSchema } from '../src/index.js'
import { adminConnection, freshDatabase, registryOptions } from './fixtures/database.js'

const everyone = { principals: ['*', 'user:tester'], superuser: false }
const actor = { actor: 'user:tester' }

async function tableCount(database: string): Promise<number> {
  const admin = await adminConnection()
  try {
    const [rows] = await admin.query('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database])
    return Number((rows as Array<{ n: number }>)[0]?.n)
  } finally {
    await admin.end()
  }
}

describe('conformance', () => {
  let database = ''
  beforeAll(async () => {
    database = await freshDatabase('suite')
  })
  registrySuite(it, () => createMysqlRegistry(registryOptions(database)), { tokens: true })
})

describe('mysql registry', () => {
  it('creating a registry does no I/O until it is first used, then migrates', async () => {
    const database = await freshDatabase('lazy')
    const registry = createMysqlRegistry(registryOptions(database))
    expect(await tableCount(database)).toBe(0)
    expect(await registry.resolve('datasets/none', 'latest')).toBeNull()
    expect(await tableCount(database)).toBeGreaterThan(0)
    await registry.close()
  })

  it('the plugin definition validates its options and creates a registry without connecting', () => {
    expect(plugin).toMatchObject({ kind: 'registry', name: 'mysql', specificationVersion: 1 })
    const check = (options: unknown) => Value.Check(MysqlRegistryOptionsSchema, options)
    expect(check({ host: 'db.internal', database: 'assets' })).toBe(true)
    expect(check({ url: 'mysql://app@db.internal:3307/assets?sslMode=require' })).toBe(true)
    expect(check({ url: 'mariadb://app@db.internal/assets' })).toBe(true)
    expect(check({ host: 'db', port: 3307, database: 'assets', user: 'app', password: 'pw', sslMode: 'verify-full' })).toBe(true)
    expect(check({ host: 'db', maxConnections: 4, connectTimeoutSeconds: 0.5 })).toBe(true)
    expect(check({ url: 'postgres://db/assets' })).toBe(false)
    expect(check({ host: 'db', port: 0 })).toBe(false)
    expect(check({ host: 'db', sslMode: 'on' })).toBe(false)
    expect(check({ host: 'db', maxConnections: 0 })).toBe(false)
    expect(check({ host: 'db', schema: 'x' })).toBe(false)
    expect(Value.Default(MysqlRegistryOptionsSchema, { host: 'db' })).toEqual({ host: 'db', port: 3306, maxConnections: 10, connectTimeoutSeconds: 5 })
    const context = { dataDir: '/tmp', cacheDir: '/tmp', allowInsecureStorage: false, logger: { warn() {} }, env: {} }
    const registry = plugin.create({ host: '127.0.0.1', port: 1, database: 'never_used' }, context)
    expect(registry.name).toBe('mysql')
  })

  it('malformed options fail at creation with CONFIG_INVALID, never echoing a password', () => {
    const failure = (options: Parameters<typeof createMysqlRegistry>[0]): Error => {
      try {
        createMysqlRegistry(options)
      } catch (error) {
        expect(hasErrorCode(error, 'CONFIG_INVALID')).toBe(true)
        return error as Error
      }
      throw new Error('expected CONFIG_INVALID')
    }
    expect(failure({}).message).toMatch(/host \(DB_HOST\) or url/)
    expect(failure({ host: 'db' }).message).toMatch(/registry\.database/)
    const secret = 'hunter2-secret'
    const badUrl = failure({ url: `mysql://app:${secret}@db:notaport/assets` })
    expect(badUrl.message).toMatch(/registry\.url/)
    const badMode = failure({ url: `mysql://app:${secret}@db/assets?ssl-mode=sometimes` })
    const badPassword = failure({ host: 'db', database: 'a', password: 42 as unknown as string })
    for (const error of [badUrl, badMode, badPassword]) expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain(secret)
  })

  it('url and separate fields reach the same catalogue', async () => {
    const database = await freshDatabase('url')
    const byUrl = createMysqlRegistry({ url: `mariadb://root@127.0.0.1:3306/${database}` })
    await byUrl.register(fileRecord('datasets/by-url', '1.0.0'), actor)
    const byFields = createMysqlRegistry(registryOptions(database))
    expect(await byFields.resolve('datasets/by-url', 'latest')).toBe('1.0.0')
    await Promise.all([byUrl.close(), byFields.close()])
  })

  it('sslMode reaches the client: require insists on TLS, disable and prefer connect to a server without it', async () => {
    const admin = await adminConnection()
    const [rows] = await admin.query(`SHOW VARIABLES LIKE 'have_ssl'`)
    await admin.end()
    const serverHasTls = (rows as Array<{ Value: string }>)[0]?.Value === 'YES'
    const database = await freshDatabase('ssl')
    for (const sslMode of ['disable', 'prefer', 'require'] as const) {
      const registry = createMysqlRegistry(registryOptions(database, { sslMode }))
      const outcome = await registry.listTags('datasets/x').then(
        () => 'connected',
        (e: unknown) => (hasErrorCode(e, 'BACKEND_UNAVAILABLE') ? 'unavailable' : String(e)),
      )
      const expected = sslMode === 'disable' || serverHasTls || sslMode === 'prefer' ? 'connected' : 'unavailable'
      expect(`${sslMode}: ${outcome}`).toBe(`${sslMode}: ${expected}`)
      await registry.close()
    }
  })

  it('a database migrated by a newer release is refused', async () => {
    const database = await freshDatabase('newer')
    const registry = createMysqlRegistry(registryOptions(database))
    await registry.listTags('datasets/x')
    await registry.close()
    const admin = await adminConnection(database)
    await admin.query(`INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 'now')`)
    await admin.end()
    const error = await createMysqlRegistry(registryOptions(database))
      .listTags('datasets/x')
      .catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toMatch(/newer than this plugin knows/)
  })

  it('a catalogue of schema 1 is upgraded to the API tokens table and keeps its versions', async () => {
    const database = await freshDatabase('upgrade-tokens')
    const registry = createMysqlRegistry(registryOptions(database))
    await registry.register(fileRecord('datasets/kept', '1.0.0'), actor)
    await registry.close()
    // As release 1 left it: no api_tokens table, schema version 1.
    const admin = await adminConnection(database)
    await admin.query('DROP TABLE api_tokens')
    await admin.query('DELETE FROM schema_version WHERE version > 1')
    await admin.end()
    const upgraded = createMysqlRegistry(registryOptions(database))
    expect(await upgraded.resolve('datasets/kept', 'latest')).toBe('1.0.0')
    expect(await upgraded.tokens.listTokens()).toEqual([])
    await upgraded.close()
    const check = await adminConnection(database)
    const [rows] = await check.query('SELECT max(version) AS v FROM schema_version')
    await check.end()
    expect(Number((rows as Array<{ v: number }>)[0]?.v)).toBe(MIGRATIONS.at(-1)?.version)
  })

  it('a catalogue of schema 2 carries its live holds and claims over to their own tables', async () => {
    const database = await freshDatabase('upgrade-leases')
    const registry = createMysqlRegistry(registryOptions(database))
    await registry.resolve('datasets/none', 'latest')
    await registry.close()
    // As release 2 left it: the one table of leases that migration 1 made, a hold and a claim in
    // it; and as a first run of migration 3 cut after copying the holds would leave it.
    const admin = await adminConnection(database)
    await admin.query('DROP TABLE content_claims')
    await admin.query('DELETE FROM schema_version WHERE version > 2')
    await admin.query(`CREATE TABLE content_leases (location VARCHAR(512) NOT NULL, holder VARCHAR(255) NOT NULL,
      claim TINYINT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (location, holder))`)
    const later = Date.now() + 600_000
    await admin.query('INSERT INTO content_leases VALUES (?, ?, 0, ?), (?, ?, 1, ?)', ['blobs/held', 'put:old', later, 'blobs/claimed', 'gc:old', later])
    await admin.query('INSERT INTO content_holds (location, holder, expires_at) VALUES (?, ?, ?)', ['blobs/held', 'put:old', later])
    await admin.end()
    const upgraded = createMysqlRegistry(registryOptions(database))
    expect(await upgraded.claimContent('gc:new', ['blobs/held', 'blobs/free'], 60_000)).toEqual({ claimed: ['blobs/free'] })
    expect(await upgraded.holdContent('put:new', ['blobs/claimed'], 60_000)).toEqual({ refused: ['blobs/claimed'] })
    // The hold copied twice is released as one.
    await upgraded.releaseContent('put:old')
    expect(await upgraded.claimContent('gc:new', ['blobs/held'], 60_000)).toEqual({ claimed: ['blobs/held'] })
    await upgraded.close()
    const check = await adminConnection(database)
    const [rows] = await check.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'content_leases'", [database])
    await check.end()
    expect(Number((rows as Array<{ n: number }>)[0]?.n)).toBe(0)
  })

  it('text is compared byte by byte: case, accents and trailing spaces all count', async () => {
    const registry = createMysqlRegistry(registryOptions(await freshDatabase('bytes')))
    const names = ['a', 'a ', 'A', 'á', 'b']
    for (const [i, name] of names.entries()) {
      await registry.register(fileRecord(`datasets/n${i}`, '1.0.0', { metadata: { name } }), actor)
    }
    for (const name of names) {
      const page = await registry.query(compileQuery({ where: { name } }), everyone)
      expect(page.items.map((r) => r.metadata.name)).toEqual([name])
    }
    const sorted = await registry.query(compileQuery({ sort: { field: 'metadata.name', order: 'asc' } }), everyone)
    expect(sorted.items.map((r) => r.metadata.name)).toEqual(['A', 'a', 'a ', 'b', 'á'])
    await registry.close()
  })

  it('text holding a lone UTF-16 surrogate is refused with INVALID_INPUT rather than stored changed, and matches nothing', async () => {
    const registry = createMysqlRegistry(registryOptions(await freshDatabase('surrogate')))
    const error = await registry.register(fileRecord('datasets/s', '1.0.0', { description: 'half \ud800 pair' }), actor).catch((e: unknown) => e)
    expect(hasErrorCode(error, 'INVALID_INPUT')).toBe(true)
    await registry.register(fileRecord('datasets/s', '1.0.0', { description: 'emoji 🧬 fine' }), actor)
    expect((await registry.get('datasets/s', '1.0.0'))?.description).toBe('emoji 🧬 fine')
    expect((await registry.query(compileQuery({ text: '\ud800' }), everyone)).items).toEqual([])
    expect(await registry.resolve('datasets/s', 'tag-\ud800')).toBeNull()
    await registry.close()
  })

  it('text longer than its column is INVALID_INPUT, and nothing of the mutation is kept', async () => {
    const registry = createMysqlRegistry(registryOptions(await freshDatabase('long')))
    const error = await registry.recordAudit({ actor: 'user:x', action: 'a'.repeat(300) }).catch((e: unknown) => e)
    expect(hasErrorCode(error, 'INVALID_INPUT')).toBe(true)
    expect(await registry.audit()).toEqual([])
    await registry.close()
  })

  describe('SQL injection attempts are harmless', () => {
    const dropTable = `x'); DROP TABLE versions; --`
    const hostile = [`' OR 1=1 --`, dropTable, `" OR ""="`, `%' OR key LIKE '%`, `\\'; DELETE FROM tags; --`, `\\`, `?`, `\`; DROP TABLE tags; -- \``]

    const setUp = async () => {
      const registry = createMysqlRegistry(registryOptions(await freshDatabase('injection')))
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

    it('in principals of the read scope and in audit entries', async () => {
      const { registry } = await setUp()
      await registry.setAccessControl('datasets/safe', undefined, { owner: 'user:alice', read: [], write: [], admin: [] }, { actor: 'user:x' })
      for (const value of hostile) {
        const page = await registry.query(compileQuery({}), { principals: [value], superuser: false })
        expect(page.items.map((r) => r.key)).toEqual(['datasets/other'])
        await registry.recordAudit({ actor: value, action: value, details: { value } })
        expect((await registry.audit({ action: value, limit: 1 }))[0]).toMatchObject({ actor: value, action: value, details: { value } })
      }
      expect((await registry.listVersions('datasets/safe')).map((r) => r.version)).toEqual(['1.0.0'])
      await registry.close()
    })
  })
})
