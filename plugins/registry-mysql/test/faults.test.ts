import { inspect } from 'node:util'
import { hasErrorCode } from '@assets/core'
import { makeRecord as fileRecord, TcpProxy } from '@assets/testkit'
import { describe, expect, it } from 'vitest'
import { createMysqlRegistry } from '../src/index.js'
import { adminConnection, freshDatabase, registryOptions } from './fixtures/database.js'
import { SERVER } from './fixtures/server.js'

const PASSWORD = 'Pa55-w0rd-that-must-never-show'
const actor = { actor: 'user:tester' }

/** The registry's connections: the only ones on its database but the test's own. */
async function connectionsOf(database: string, state?: string): Promise<number[]> {
  const admin = await adminConnection()
  try {
    const [rows] = await admin.query(
      `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND USER = ? ${state ? 'AND STATE LIKE ?' : ''}`,
      state ? [database, SERVER.user, state] : [database, SERVER.user],
    )
    return (rows as Array<{ id: number }>).map((r) => r.id)
  } finally {
    await admin.end()
  }
}

/** `KILL <id>` on each of the registry's connections (optionally only those in `state`); returns how many. */
async function killConnections(database: string, state?: string, except: number[] = []): Promise<number> {
  const ids = (await connectionsOf(database, state)).filter((id) => !except.includes(id))
  const admin = await adminConnection()
  try {
    for (const id of ids) await admin.query(`KILL ${Number(id)}`).catch(() => {})
  } finally {
    await admin.end()
  }
  return ids.length
}

/** Waits until one of the registry's connections waits on a table lock. */
async function waitForLockWait(database: string, except: number[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await connectionsOf(database, 'Waiting for table%')).some((id) => !except.includes(id))) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('the registry never waited on the lock')
}

function expectNoPassword(error: unknown): void {
  const texts = [String((error as Error).message), String((error as Error).stack), JSON.stringify(error), inspect(error, { depth: 10 })]
  for (const text of texts) expect(text).not.toContain(PASSWORD)
}

describe('connections the server kills', () => {
  it('connections killed with KILL <id> are replaced; the next reads and writes succeed', async () => {
    const database = await freshDatabase('idle')
    const registry = createMysqlRegistry(registryOptions(database))
    await registry.register(fileRecord('datasets/a', '1.0.0'), actor)
    for (let round = 0; round < 8; round++) {
      expect(await killConnections(database)).toBeGreaterThan(0)
      // Several at once, so that the pool has several connections for the next round to kill.
      const reads = await Promise.all([registry.get('datasets/a', '1.0.0'), registry.listTags('datasets/a'), registry.resolve('datasets/a', 'latest')])
      expect(reads[2]).toBe('1.0.0')
      expect(await killConnections(database)).toBeGreaterThan(0)
      await registry.setTag('datasets/a', `round-${round}`, '1.0.0', actor)
    }
    expect(Object.keys(await registry.listTags('datasets/a'))).toHaveLength(8)
    await registry.close()
  })

  it('killing connections while operations run never takes the process down; afterwards everything works', async () => {
    const database = await freshDatabase('storm')
    const registry = createMysqlRegistry(registryOptions(database))
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
      await killConnections(database)
      outcomes.push(...(await Promise.all(work)))
    }
    expect(outcomes.filter((o) => o !== 'ok' && o !== 'unavailable')).toEqual([])
    expect((await registry.listVersions('datasets/s')).map((r) => r.version)).toEqual(['1.0.0'])
    await registry.setTag('datasets/s', 'after', '1.0.0', actor)
    expect((await registry.listTags('datasets/s')).after).toBe('1.0.0')
    await registry.close()
  })

  it('a read whose connection is killed mid-statement is run again on a new connection', async () => {
    const database = await freshDatabase('read')
    const registry = createMysqlRegistry(registryOptions(database))
    await registry.register(fileRecord('datasets/a', '1.0.0'), actor)
    const held = await adminConnection(database)
    const [[own]] = (await held.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]]
    try {
      // The read blocks behind a table lock of the test's own; its connection is killed while it waits.
      await held.query('LOCK TABLES versions WRITE')
      const read = registry.listVersions('datasets/a')
      await waitForLockWait(database, [own.id])
      expect(await killConnections(database, 'Waiting for table%', [own.id])).toBe(1)
      // The retry waits on the same lock, until the test lets go.
      await waitForLockWait(database, [own.id])
      await held.query('UNLOCK TABLES')
      expect((await read).map((r) => r.version)).toEqual(['1.0.0'])
    } finally {
      await held.end()
      await registry.close()
    }
  })

  it('a write whose transaction is killed reports BackendUnavailableError, leaves nothing, and the next write succeeds', async () => {
    const database = await freshDatabase('write')
    const registry = createMysqlRegistry(registryOptions(database, { password: '' }))
    await registry.listTags('datasets/b')
    const held = await adminConnection(database)
    const [[own]] = (await held.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]]
    try {
      // The table lock keeps the registry's transaction open (it has begun), so it can be killed inside it.
      await held.query('LOCK TABLES versions WRITE')
      const write = registry.register(fileRecord('datasets/b', '1.0.0'), { ...actor, tags: ['stable'] }).catch((e: unknown) => e)
      await waitForLockWait(database, [own.id])
      expect(await killConnections(database, 'Waiting for table%', [own.id])).toBe(1)
      const error = await write
      expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
      expect((error as Error).message).toContain(`127.0.0.1:3306/${database}`)
      expect((error as Error).message).toContain('register')
      await held.query('UNLOCK TABLES')
    } finally {
      await held.end()
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
    const fields = createMysqlRegistry(registryOptions('assets_down', { port: 1, password: PASSWORD }))
    const url = createMysqlRegistry({ url: `mysql://root:${PASSWORD}@127.0.0.1:1/assets_down` })
    const maria = createMysqlRegistry({ url: `mariadb://root:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/assets_down?sslMode=disable` })
    for (const registry of [fields, url, maria]) {
      for (const attempt of [() => registry.resolve('datasets/x', 'latest'), () => registry.register(fileRecord('datasets/x', '1.0.0'), actor)]) {
        const error = await attempt().catch((e: unknown) => e)
        expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
        expect((error as Error).message).toContain('127.0.0.1:1/assets_down')
        expect((error as Error).message).toMatch(/ECONNREFUSED/)
        expect((error as Error).cause).toBeDefined()
        expectNoPassword(error)
      }
      await registry.close()
    }
  })

  it('a wrong password is BackendUnavailableError that does not show it', async () => {
    const database = await freshDatabase('denied')
    const registry = createMysqlRegistry(registryOptions(database, { user: 'assets_nobody', password: PASSWORD }))
    const error = await registry.listTags('datasets/x').catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toContain(`127.0.0.1:3306/${database}`)
    expectNoPassword(error)
    await registry.close()
  })

  it('recovers by itself when the server comes back, without being created again', async () => {
    const proxy = new TcpProxy({ host: SERVER.host, port: SERVER.port })
    await proxy.start()
    const database = await freshDatabase('back')
    const registry = createMysqlRegistry(registryOptions(database, { port: proxy.port }))
    await registry.register(fileRecord('datasets/c', '1.0.0'), actor)
    // Down: open connections cut, new ones refused.
    await proxy.stop()
    const error = await registry.listVersions('datasets/c').catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toContain(`127.0.0.1:${proxy.port}/${database}`)
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
    const registry = createMysqlRegistry(registryOptions('assets_silent', { port: silent.port, connectTimeoutSeconds: 1 }))
    const started = Date.now()
    const error = await registry.listTags('datasets/x').catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toMatch(/ETIMEDOUT/)
    expect(Date.now() - started).toBeLessThan(4000)
    await registry.close()
    await silent.stop()
  })
})
