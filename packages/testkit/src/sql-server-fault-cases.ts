import { hasErrorCode } from '@assets/core'
import { makeRecord } from './record-fixtures.js'
import { ACTOR, expectNoPassword, SECRET_PASSWORD, type SqlServerDefine } from './sql-server-case.js'
import type { SqlServerFixture } from './sql-server-fixture.js'
import { TcpProxy } from './tcp-proxy.js'

/** The server kills the registry's connections: idle, busy, mid-read and mid-transaction. */
export function killedConnections<O>(test: SqlServerDefine<O>, fixture: SqlServerFixture<O>): void {
  test(`connections killed ${fixture.killedWith} are replaced; the next reads and writes succeed`, 'idle', async ({ fixture, namespace, expect }) => {
    const registry = fixture.create(namespace.options())
    await registry.register(makeRecord('datasets/a', '1.0.0'), ACTOR)
    for (let round = 0; round < 8; round++) {
      expect(await namespace.killConnections()).toBeGreaterThan(0)
      // Several at once, so that the pool has several connections for the next round to kill.
      const reads = await Promise.all([registry.get('datasets/a', '1.0.0'), registry.listTags('datasets/a'), registry.resolve('datasets/a', 'latest')])
      expect(reads[2]).toBe('1.0.0')
      expect(await namespace.killConnections()).toBeGreaterThan(0)
      await registry.setTag('datasets/a', `round-${round}`, '1.0.0', ACTOR)
    }
    expect(Object.keys(await registry.listTags('datasets/a'))).toHaveLength(8)
    await registry.close()
  })

  test('killing connections while operations run never takes the process down; afterwards everything works', 'storm', async ({ fixture, namespace, expect }) => {
    const registry = fixture.create(namespace.options())
    await registry.register(makeRecord('datasets/s', '1.0.0'), ACTOR)
    const outcomes: string[] = []
    for (let round = 0; round < 10; round++) {
      const work = Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? registry.listVersions('datasets/s') : registry.setTag('datasets/s', `t${i}`, '1.0.0', ACTOR)).then(
          () => 'ok',
          (e: unknown) => (hasErrorCode(e, 'BACKEND_UNAVAILABLE') ? 'unavailable' : `unexpected: ${String(e)}`),
        ),
      )
      await new Promise((r) => setTimeout(r, round % 3))
      await namespace.killConnections({ wait: false })
      outcomes.push(...(await Promise.all(work)))
    }
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'unavailable')).toEqual([])
    expect((await registry.listVersions('datasets/s')).map((r) => r.version)).toEqual(['1.0.0'])
    await registry.setTag('datasets/s', 'after', '1.0.0', ACTOR)
    expect((await registry.listTags('datasets/s')).after).toBe('1.0.0')
    await registry.close()
  })

  test('a read whose connection is killed mid-statement is run again on a new connection', 'read', async ({ fixture, namespace, expect }) => {
    const registry = fixture.create(namespace.options())
    await registry.register(makeRecord('datasets/a', '1.0.0'), ACTOR)
    // The read blocks behind a lock of the test's own; its connection is killed while it waits.
    const held = await namespace.lockVersions()
    try {
      const read = registry.listVersions('datasets/a')
      await namespace.waitForLockWait()
      expect(await namespace.killConnections({ waitingOnLock: true })).toBe(1)
      // The retry waits on the same lock, until the test lets go.
      await namespace.waitForLockWait()
      await held.release()
      expect((await read).map((r) => r.version)).toEqual(['1.0.0'])
    } finally {
      await held.release()
      await registry.close()
    }
  })

  test(
    'a write whose transaction is killed reports BackendUnavailableError, leaves nothing, and the next write succeeds',
    'write',
    async ({ fixture, namespace, expect }) => {
      const registry = fixture.create(namespace.options({ password: fixture.password }))
      await registry.listTags('datasets/b')
      // Keeps the registry's transaction open, so that it can be killed inside it.
      const held = await namespace.holdOpenWrite('datasets/b')
      try {
        const write = registry.register(makeRecord('datasets/b', '1.0.0'), { ...ACTOR, tags: ['stable'] }).catch((e: unknown) => e)
        await namespace.waitForLockWait()
        expect(await namespace.killConnections({ waitingOnLock: true })).toBe(1)
        const error = await write
        expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
        expect((error as Error).message).toContain(`${fixture.server.host}:${fixture.server.port}/${namespace.database}`)
        expect((error as Error).message).toContain('register')
        expectNoPassword(expect, error, [fixture.password])
        await held.release()
      } finally {
        await held.release()
      }
      expect(await registry.get('datasets/b', '1.0.0')).toBeNull()
      expect(await registry.audit({ key: 'datasets/b' })).toEqual([])
      expect(await registry.listTags('datasets/b')).toEqual({})
      const again = await registry.register(makeRecord('datasets/b', '1.0.0'), { ...ACTOR, tags: ['stable'] })
      expect(again.created).toBe(true)
      expect(await registry.listTags('datasets/b')).toEqual({ stable: '1.0.0' })
      await registry.close()
    },
  )
}

/** The server is not there, goes down and comes back, or accepts and never answers. */
export function serverDown<O>(test: SqlServerDefine<O>): void {
  test('gives BackendUnavailableError naming host:port/database, never the password', 'down', async ({ fixture, namespace, expect }) => {
    // Nothing listens on port 1: the options as fields and as every URL scheme the plugin takes.
    const options = [namespace.options({ port: 1, password: SECRET_PASSWORD }), ...namespace.urlOptions(1, SECRET_PASSWORD)]
    for (const registry of options.map((o) => fixture.create(o))) {
      for (const attempt of [() => registry.resolve('datasets/x', 'latest'), () => registry.register(makeRecord('datasets/x', '1.0.0'), ACTOR)]) {
        const error = await attempt().catch((e: unknown) => e)
        expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
        expect((error as Error).message).toContain(`127.0.0.1:1/${namespace.database}`)
        expect((error as Error).message).toMatch(/ECONNREFUSED/)
        expect((error as Error).cause).toBeDefined()
        expectNoPassword(expect, error)
      }
      await registry.close()
    }
  })

  test('recovers by itself when the server comes back, without being created again', 'back', async ({ fixture, namespace, expect }) => {
    const proxy = new TcpProxy(fixture.server)
    await proxy.start()
    try {
      const registry = fixture.create(namespace.options({ port: proxy.port, password: fixture.password }))
      await registry.register(makeRecord('datasets/c', '1.0.0'), ACTOR)
      // Down: open connections cut, new ones refused.
      await proxy.stop()
      const error = await registry.listVersions('datasets/c').catch((e: unknown) => e)
      expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
      expect((error as Error).message).toContain(`127.0.0.1:${proxy.port}/${namespace.database}`)
      expectNoPassword(expect, error, [fixture.password])
      await proxy.start()
      expect((await registry.listVersions('datasets/c')).map((r) => r.version)).toEqual(['1.0.0'])
      await registry.register(makeRecord('datasets/c', '1.0.1'), ACTOR)
      expect(await registry.resolve('datasets/c', 'latest')).toBe('1.0.1')
      await registry.close()
    } finally {
      await proxy.stop()
    }
  })

  test('a server that accepts but never answers fails after connectTimeoutSeconds', 'silent', async ({ fixture, namespace, expect }) => {
    const silent = new TcpProxy(fixture.server, false)
    await silent.start()
    try {
      const registry = fixture.create(namespace.options({ port: silent.port, connectTimeoutSeconds: 1 }))
      const started = Date.now()
      const error = await registry.listTags('datasets/x').catch((e: unknown) => e)
      expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
      expect((error as Error).message).toMatch(fixture.connectTimeout)
      expect(Date.now() - started).toBeLessThan(4000)
      await registry.close()
    } finally {
      await silent.stop()
    }
  })
}
