import { type AccessControl, defaultAccessControl } from '@assets/core'
import { makeRecord } from './record-fixtures.js'
import { runRegistryJobs } from './registry-processes.js'
import type { SqlServerDefine } from './sql-server-case.js'
import type { SqlServerFixture } from './sql-server-fixture.js'

/** Several processes, and several pools in one process, on one catalogue at once. */
export function manyWorkers<O>(test: SqlServerDefine<O>, fixture: SqlServerFixture<O>): void {
  test(`migrations run once when 8 processes start at once on a fresh ${fixture.namespaceKind}`, 'migrate', async ({ fixture, namespace, expect }) => {
    const jobs = Array.from({ length: 8 }, (_, n) => ({ job: 'register' as const, key: `outputs/worker-${n}`, version: '1.0.0', content: `run ${n}` }))
    const outcomes = await runRegistryJobs(fixture.plugin, namespace.options(), jobs)
    expect(outcomes.map((o) => o.outcome)).toEqual(jobs.map(() => 'created'))
    expect(await namespace.appliedMigrations()).toEqual(fixture.migrations)
    const registry = fixture.create(namespace.options())
    for (const job of jobs) expect(await registry.resolve(job.key, 'latest')).toBe('1.0.0')
    await registry.close()
  })

  test('16 processes putting new versions of one key at once each get a distinct version, none lost', 'race', async ({ fixture, namespace, expect }) => {
    const registry = fixture.create(namespace.options())
    const key = 'outputs/shared-run'
    // Migrated first, so that the race is on the versions themselves.
    await registry.listTags(key)
    const jobs = Array.from({ length: 16 }, (_, n) => ({ job: 'put-next' as const, key, content: `attempt ${n}` }))
    const outcomes = await runRegistryJobs(fixture.plugin, namespace.options(), jobs)
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

  test(
    'processes registering one version with different digests leave exactly one winner; the same digest is a no-op',
    'conflict',
    async ({ fixture, namespace, expect }) => {
      const registry = fixture.create(namespace.options())
      await registry.listTags('outputs/race')
      const jobs = [
        ...Array.from({ length: 6 }, (_, n) => ({ job: 'register' as const, key: 'outputs/race', version: '1.0.0', content: `attempt ${n}` })),
        ...Array.from({ length: 4 }, () => ({ job: 'register' as const, key: 'outputs/same', version: '1.0.0', content: 'identical' })),
      ]
      const outcomes = await runRegistryJobs(fixture.plugin, namespace.options(), jobs)
      const race = outcomes.slice(0, 6)
      const winners = race.filter((o) => o.outcome === 'created')
      expect(winners).toHaveLength(1)
      expect(race.filter((o) => o.outcome === 'VERSION_CONFLICT')).toHaveLength(5)
      expect((await registry.get('outputs/race', '1.0.0'))?.digest).toBe(winners[0]?.digest)
      expect(await registry.audit({ key: 'outputs/race', action: 'register' })).toHaveLength(1)
      expect(outcomes.slice(6).map((o) => o.outcome).sort()).toEqual(['created', 'unchanged', 'unchanged', 'unchanged'])
      expect(await registry.audit({ key: 'outputs/same', action: 'register' })).toHaveLength(1)
      await registry.close()
    },
  )

  test('concurrent tag moves and ACL changes are serialised and end consistent', 'serial', async ({ fixture, namespace, expect }) => {
    // Several pools, as several workers would have, all working on one key at once.
    const registries = Array.from({ length: 4 }, () => fixture.create(namespace.options({ maxConnections: 5 })))
    const first = registries[0]!
    const key = 'models/contended'
    const versions = ['1.0.0', '1.1.0', '1.2.0', '2.0.0']
    for (const v of versions) await first.register(makeRecord(key, v), { actor: 'user:setup' })
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
    const moves = (await first.audit({ key, action: 'set-tag', limit: 1000 })).reverse()
    expect(moves).toHaveLength(48)
    moves.forEach((move, i) => {
      expect(move.details?.previous).toBe(i === 0 ? null : moves[i - 1]?.version)
    })
    expect(await first.listTags(key)).toEqual({ production: moves.at(-1)?.version })

    // Every version's ACL is the one the last change covering it wrote.
    const changes = (await first.audit({ key, action: 'set-acl', limit: 1000 })).reverse()
    expect(changes).toHaveLength(48)
    for (const record of await first.listVersions(key)) {
      const last = changes.filter((c) => c.version === undefined || c.version === record.version).at(-1)
      expect(record.accessControl).toEqual(last?.details?.accessControl)
    }
    await Promise.all(registries.map((r) => r.close()))
  })

  test('a mutation of one key waits while another holds that key, not for other keys', 'locks', async ({ fixture, namespace, expect }) => {
    const registry = fixture.create(namespace.options())
    await registry.register(makeRecord('models/held', '1.0.0'), { actor: 'user:setup' })
    await registry.register(makeRecord('models/free', '1.0.0'), { actor: 'user:setup' })
    // The lock the registry takes for the key, held by a connection of the test's own.
    const held = await namespace.holdKeyLock('models/held')
    try {
      let tagged = false
      const blocked = registry.setTag('models/held', 'stable', '1.0.0', { actor: 'user:x' }).then(() => {
        tagged = true
      })
      await registry.setTag('models/free', 'stable', '1.0.0', { actor: 'user:x' })
      await new Promise((r) => setTimeout(r, 300))
      expect(tagged).toBe(false)
      await held.release()
      await blocked
      expect(await registry.listTags('models/held')).toEqual({ stable: '1.0.0' })
    } finally {
      await held.release()
      await registry.close()
    }
  })
}
