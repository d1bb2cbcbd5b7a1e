import { type AccessControl, defaultAccessControl } from '@assets/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createPostgresRegistry, MIGRATIONS } from '../src/index.js'
import { KEY_LOCK_SPACE, keyLockName } from '../src/key-lock.js'
import { runRegistryJobs } from '@assets/testkit'
import { BUILT_PLUGIN } from './fixtures/built-plugin.js'
import { adminConnection, freshSchema, registryOptions } from './fixtures/database.js'
import { makeRecord as fileRecord } from '@assets/testkit'

const admin = adminConnection()
afterAll(() => admin.end())

describe('many workers at once', () => {
  it('migrations run once when 8 processes start at once on a fresh schema', async () => {
    const schema = freshSchema('migrate')
    const jobs = Array.from({ length: 8 }, (_, n) => ({ job: 'register' as const, key: `outputs/worker-${n}`, version: '1.0.0', content: `run ${n}` }))
    const outcomes = await runRegistryJobs(BUILT_PLUGIN, registryOptions(schema), jobs)
    expect(outcomes.map((o) => o.outcome)).toEqual(jobs.map(() => 'created'))
    const applied = await admin.unsafe<Array<{ version: number }>>(`SELECT version FROM "${schema}".schema_version ORDER BY version`)
    expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version))
    const registry = createPostgresRegistry(registryOptions(schema))
    for (const job of jobs) expect(await registry.resolve(job.key, 'latest')).toBe('1.0.0')
    await registry.close()
  })

  it('16 processes putting new versions of one key at once each get a distinct version, none lost', async () => {
    const schema = freshSchema('race')
    const registry = createPostgresRegistry(registryOptions(schema))
    const key = 'outputs/shared-run'
    // Migrated first, so that the race is on the versions themselves.
    await registry.listTags(key)
    const jobs = Array.from({ length: 16 }, (_, n) => ({ job: 'put-next' as const, key, content: `attempt ${n}` }))
    const outcomes = await runRegistryJobs(BUILT_PLUGIN, registryOptions(schema), jobs)
    expect(outcomes.map((o) => o.outcome)).toEqual(jobs.map(() => 'created'))
    const versions = outcomes.map((o) => o.version)
    expect(new Set(versions).size).toBe(16)
    expect([...versions].sort()).toEqual(Array.from({ length: 16 }, (_, n) => `1.0.${n}`).sort())
    // The processes did race: some lost a round and tried the next number.
    expect(outcomes.reduce((sum, o) => sum + (o.conflicts ?? 0), 0)).toBeGreaterThan(0)
    for (const o of outcomes) expect((await registry.get(key, o.version ?? ''))?.digest).toBe(o.digest)
    expect(await registry.listVersions(key)).toHaveLength(16)
    expect(await registry.audit({ key, action: 'register' })).toHaveLength(16)
    expect(await registry.resolve(key, 'latest')).toBe('1.0.15')
    await registry.close()
  })

  it('processes registering one version with different digests leave exactly one winner; the same digest is a no-op', async () => {
    const schema = freshSchema('conflict')
    const registry = createPostgresRegistry(registryOptions(schema))
    await registry.listTags('outputs/race')
    const jobs = [
      ...Array.from({ length: 6 }, (_, n) => ({ job: 'register' as const, key: 'outputs/race', version: '1.0.0', content: `attempt ${n}` })),
      ...Array.from({ length: 4 }, () => ({ job: 'register' as const, key: 'outputs/same', version: '1.0.0', content: 'identical' })),
    ]
    const outcomes = await runRegistryJobs(BUILT_PLUGIN, registryOptions(schema), jobs)
    const race = outcomes.slice(0, 6)
    const winners = race.filter((o) => o.outcome === 'created')
    expect(winners).toHaveLength(1)
    expect(race.filter((o) => o.outcome === 'VERSION_CONFLICT')).toHaveLength(5)
    expect((await registry.get('outputs/race', '1.0.0'))?.digest).toBe(winners[0]?.digest)
    expect(await registry.audit({ key: 'outputs/race', action: 'register' })).toHaveLength(1)
    expect(outcomes.slice(6).map((o) => o.outcome).sort()).toEqual(['created', 'unchanged', 'unchanged', 'unchanged'])
    expect(await registry.audit({ key: 'outputs/same', action: 'register' })).toHaveLength(1)
    await registry.close()
  })

  it('concurrent tag moves and ACL changes are serialised and end consistent', async () => {
    const schema = freshSchema('serial')
    // Several pools, as several workers would have, all working on one key at once.
    const registries = Array.from({ length: 4 }, () => createPostgresRegistry(registryOptions(schema, { maxConnections: 5 })))
    const [first] = registries
    const key = 'models/contended'
    const versions = ['1.0.0', '1.1.0', '1.2.0', '2.0.0']
    for (const v of versions) await first!.register(fileRecord(key, v), { actor: 'user:setup' })
    const acls: AccessControl[] = Array.from({ length: 12 }, (_, n) => defaultAccessControl({ user: `owner${n}` }, { read: [`group:team${n}`] }))
    const work: Array<Promise<void>> = []
    for (let round = 0; round < 12; round++) {
      registries.forEach((registry, n) => {
        work.push(registry.setTag(key, 'production', versions[(round + n) % versions.length]!, { actor: `user:mover${n}` }))
        if (n % 2 === 0) work.push(registry.setAccessControl(key, undefined, acls[(round + n) % acls.length]!, { actor: `user:admin${n}` }))
        else work.push(registry.setAccessControl(key, versions[round % versions.length], acls[round % acls.length]!, { actor: `user:admin${n}` }))
      })
    }
    await Promise.all(work)

    // Each tag move saw the one before it: the audit trail is one unbroken chain.
    const moves = (await first!.audit({ key, action: 'set-tag', limit: 1000 })).reverse()
    expect(moves).toHaveLength(48)
    moves.forEach((move, i) => {
      expect(move.details?.previous).toBe(i === 0 ? null : moves[i - 1]?.version)
    })
    expect(await first!.listTags(key)).toEqual({ production: moves.at(-1)?.version })

    // Every version's ACL is the one the last change covering it wrote.
    const changes = (await first!.audit({ key, action: 'set-acl', limit: 1000 })).reverse()
    expect(changes).toHaveLength(48)
    for (const record of await first!.listVersions(key)) {
      const last = changes.filter((c) => c.version === undefined || c.version === record.version).at(-1)
      expect(record.accessControl).toEqual(last?.details?.accessControl)
    }
    await Promise.all(registries.map((r) => r.close()))
  })

  it('a mutation of one key waits for another transaction on that key, not on other keys', async () => {
    const schema = freshSchema('locks')
    const registry = createPostgresRegistry(registryOptions(schema))
    await registry.register(fileRecord('models/held', '1.0.0'), { actor: 'user:setup' })
    await registry.register(fileRecord('models/free', '1.0.0'), { actor: 'user:setup' })
    const held = await admin.reserve()
    try {
      await held.unsafe('BEGIN')
      // The lock the registry takes for the key, held by a transaction of the test's own.
      await held.unsafe('SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [KEY_LOCK_SPACE, keyLockName(schema, 'models/held')])
      let tagged = false
      const blocked = registry.setTag('models/held', 'stable', '1.0.0', { actor: 'user:x' }).then(() => {
        tagged = true
      })
      await registry.setTag('models/free', 'stable', '1.0.0', { actor: 'user:x' })
      await new Promise((r) => setTimeout(r, 300))
      expect(tagged).toBe(false)
      await held.unsafe('COMMIT')
      await blocked
      expect(await registry.listTags('models/held')).toEqual({ stable: '1.0.0' })
    } finally {
      held.release()
      await registry.close()
    }
  })
})
