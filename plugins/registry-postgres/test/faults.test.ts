import { inspect } from 'node:util'
import { hasErrorCode } from '@assets/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createPostgresRegistry } from '../src/index.js'
import { KEY_LOCK_SPACE, keyLockName } from '../src/key-lock.js'
import { adminConnection, freshSchema, registryOptions, testDatabase } from './fixtures/database.js'
import { makeRecord as fileRecord, TcpProxy } from '@assets/testkit'
import { SERVER } from './fixtures/server.js'

const admin = adminConnection()
afterAll(() => admin.end())

const PASSWORD = 'Pa55-w0rd-that-must-never-show'
const actor = { actor: 'user:tester' }

/**
 * Terminates the registry's server connections (its pool names them after the schema), by
 * default waiting until they are gone; `state` picks those waiting on, e.g., a lock.
 */
async function terminateConnections(schema: string, state?: string, wait = true): Promise<number> {
  const rows = await admin.unsafe<Array<{ pid: number }>>(
    `SELECT pid, pg_terminate_backend(pid, ${wait ? 5000 : 0}) FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = $1 ${state ? 'AND wait_event_type = $2' : ''}`,
    state ? [`@assets/registry-postgres ${schema}`, state] : [`@assets/registry-postgres ${schema}`],
  )
  return rows.length
}

/** Waits until one of the registry's connections waits on a lock, and returns how many do. */
async function waitForLockWait(schema: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [row] = await admin.unsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND wait_event_type = 'Lock'`,
      [`@assets/registry-postgres ${schema}`],
    )
    if ((row?.n ?? 0) > 0) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('the registry never waited on the lock')
}

function expectNoPassword(error: unknown): void {
  const texts = [String((error as Error).message), String((error as Error).stack), JSON.stringify(error), inspect(error, { depth: 10 })]
  for (const text of texts) expect(text).not.toContain(PASSWORD)
}

describe('connections the server kills', () => {
  it('connections killed by pg_terminate_backend are replaced; the next reads and writes succeed', async () => {
    const schema = freshSchema('idle')
    const registry = createPostgresRegistry(registryOptions(schema))
    await registry.register(fileRecord('datasets/a', '1.0.0'), actor)
    for (let round = 0; round < 8; round++) {
      expect(await terminateConnections(schema)).toBeGreaterThan(0)
      // Several at once, so that the pool has several connections for the next round to kill.
      const reads = await Promise.all([registry.get('datasets/a', '1.0.0'), registry.listTags('datasets/a'), registry.resolve('datasets/a', 'latest')])
      expect(reads[2]).toBe('1.0.0')
      expect(await terminateConnections(schema)).toBeGreaterThan(0)
      await registry.setTag('datasets/a', `round-${round}`, '1.0.0', actor)
    }
    expect(Object.keys(await registry.listTags('datasets/a'))).toHaveLength(8)
    await registry.close()
  })

  it('killing connections while operations run never takes the process down; afterwards everything works', async () => {
    const schema = freshSchema('storm')
    const registry = createPostgresRegistry(registryOptions(schema))
    await registry.register(fileRecord('datasets/s', '1.0.0'), actor)
    const outcomes: string[] = []
    for (let round = 0; round < 10; round++) {
      const work = Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? registry.listVersions('datasets/s') : registry.setTag('datasets/s', `t${i}`, '1.0.0', actor)).then(
          () => 'ok',
          (e: unknown) => (hasErrorCode(e, 'BACKEND_UNAVAILABLE') ? 'unavailable' : `unexpected: ${String(e)}`),
        ),
      )
      await new Promise((r) => setTimeout(r, round % 3))
      await terminateConnections(schema, undefined, false)
      outcomes.push(...(await Promise.all(work)))
    }
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'unavailable')).toEqual([])
    expect((await registry.listVersions('datasets/s')).map((r) => r.version)).toEqual(['1.0.0'])
    await registry.setTag('datasets/s', 'after', '1.0.0', actor)
    expect((await registry.listTags('datasets/s')).after).toBe('1.0.0')
    await registry.close()
  })

  it('a read whose connection is killed mid-statement is run again on a new connection', async () => {
    const schema = freshSchema('read')
    const registry = createPostgresRegistry(registryOptions(schema))
    await registry.register(fileRecord('datasets/a', '1.0.0'), actor)
    const held = await admin.reserve()
    try {
      // The read blocks behind a lock of the test's own; its connection is killed while it waits.
      await held.unsafe('BEGIN')
      await held.unsafe(`LOCK TABLE "${schema}".versions IN ACCESS EXCLUSIVE MODE`)
      const read = registry.listVersions('datasets/a')
      await waitForLockWait(schema)
      expect(await terminateConnections(schema, 'Lock')).toBe(1)
      // The retry waits on the same lock, until the test lets go.
      await waitForLockWait(schema)
      await held.unsafe('COMMIT')
      expect((await read).map((r) => r.version)).toEqual(['1.0.0'])
    } finally {
      held.release()
      await registry.close()
    }
  })

  it('a write whose transaction is killed reports BackendUnavailableError, leaves nothing, and the next write succeeds', async () => {
    const schema = freshSchema('write')
    const registry = createPostgresRegistry(registryOptions(schema, { password: PASSWORD }))
    await registry.listTags('datasets/b')
    const held = await admin.reserve()
    try {
      // Holding the key's lock keeps the registry's transaction open, so it can be killed inside it.
      await held.unsafe('BEGIN')
      await held.unsafe('SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [KEY_LOCK_SPACE, keyLockName(schema, 'datasets/b')])
      const write = registry.register(fileRecord('datasets/b', '1.0.0'), { ...actor, tags: ['stable'] }).catch((e: unknown) => e)
      await waitForLockWait(schema)
      expect(await terminateConnections(schema, 'Lock')).toBe(1)
      const error = await write
      expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
      expect((error as Error).message).toContain(`127.0.0.1:5432/${testDatabase()}`)
      expect((error as Error).message).toContain('register')
      expectNoPassword(error)
      await held.unsafe('COMMIT')
    } finally {
      held.release()
    }
    expect(await registry.get('datasets/b', '1.0.0')).toBeNull()
    expect(await registry.audit({ key: 'datasets/b' })).toEqual([])
    expect(await registry.listTags('datasets/b')).toEqual({})
    const again = await registry.register(fileRecord('datasets/b', '1.0.0'), { ...actor, tags: ['stable'] })
    expect(again.created).toBe(true)
    expect(await registry.listTags('datasets/b')).toEqual({ stable: '1.0.0' })
    await registry.close()
  })
})

describe('a server that is down', () => {
  it('gives BackendUnavailableError naming host:port/database, never the password', async () => {
    const database = testDatabase()
    const fields = createPostgresRegistry(registryOptions(freshSchema('down'), { port: 1, password: PASSWORD }))
    const url = createPostgresRegistry({ url: `postgres://postgres:${PASSWORD}@127.0.0.1:1/${database}`, schema: 'down' })
    for (const registry of [fields, url]) {
      for (const attempt of [() => registry.resolve('datasets/x', 'latest'), () => registry.register(fileRecord('datasets/x', '1.0.0'), actor)]) {
        const error = await attempt().catch((e: unknown) => e)
        expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
        expect((error as Error).message).toContain(`127.0.0.1:1/${database}`)
        expect((error as Error).message).toMatch(/ECONNREFUSED/)
        expect((error as Error).cause).toBeDefined()
        expectNoPassword(error)
      }
      await registry.close()
    }
  })

  it('recovers by itself when the server comes back, without being created again', async () => {
    const proxy = new TcpProxy({ host: SERVER.host, port: SERVER.port })
    await proxy.start()
    const schema = freshSchema('back')
    const registry = createPostgresRegistry(registryOptions(schema, { port: proxy.port, password: PASSWORD }))
    await registry.register(fileRecord('datasets/c', '1.0.0'), actor)
    // Down: open connections cut, new ones refused.
    await proxy.stop()
    const error = await registry.listVersions('datasets/c').catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toContain(`127.0.0.1:${proxy.port}/${testDatabase()}`)
    expectNoPassword(error)
    await proxy.start()
    expect((await registry.listVersions('datasets/c')).map((r) => r.version)).toEqual(['1.0.0'])
    await registry.register(fileRecord('datasets/c', '1.0.1'), actor)
    expect(await registry.resolve('datasets/c', 'latest')).toBe('1.0.1')
    await registry.close()
    await proxy.stop()
  })

  it('a server that accepts but never answers fails after connectTimeoutSeconds', async () => {
    const silent = new TcpProxy({ host: SERVER.host, port: SERVER.port }, false)
    await silent.start()
    const registry = createPostgresRegistry(registryOptions(freshSchema('silent'), { port: silent.port, connectTimeoutSeconds: 1 }))
    const started = Date.now()
    const error = await registry.listTags('datasets/x').catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toMatch(/CONNECT_TIMEOUT/)
    expect(Date.now() - started).toBeLessThan(4000)
    await registry.close()
    await silent.stop()
  })
})
