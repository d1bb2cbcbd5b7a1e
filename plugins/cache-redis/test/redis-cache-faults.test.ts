import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { sha256 } from '@assets/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { RedisCache } from '../src/index.js'
import { freePort } from '@assets/testkit'
import { OwnRedisServer } from './fixtures/redis-server.js'
import { Machines, recordingLogger, stageFile } from './fixtures/shared-redis.js'

// Each test runs a redis-server of its own on a free port: stopping the shared one would
// break every other test (and every other user of this machine).
const servers: OwnRedisServer[] = []
const groups: Machines[] = []

async function ownServer(extraArgs: string[] = []): Promise<OwnRedisServer> {
  const server = await OwnRedisServer.start(extraArgs)
  servers.push(server)
  return server
}

function machinesOn(url: string): Machines {
  const machines = new Machines(url)
  groups.push(machines)
  return machines
}

afterEach(async () => {
  await Promise.all(groups.splice(0).map((machines) => machines.cleanup()))
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})

/** Fails the test if `operation` takes longer than `ms`: nothing may hang on a dead Redis. */
async function promptly<T>(operation: Promise<T>, ms = 1500): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`took longer than ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([operation, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Every operation of the contract, each of which must succeed (and promptly) whatever Redis does. */
async function exercise(cache: RedisCache, label: string): Promise<void> {
  const bytes = randomBytes(2000)
  const key = sha256(bytes)
  const path = await promptly(cache.set(key, await stageFile(cache, key, bytes)))
  expect(await promptly(cache.get(key))).toBe(path)
  expect(await promptly(cache.has(key))).toBe(true)
  expect(await promptly(cache.get(sha256(randomBytes(8))))).toBeNull()
  await promptly(cache.setValue(`alias-${label}`, { version: label }, { ttl: 60 }))
  expect(await promptly(cache.getValue(`alias-${label}`))).toEqual({ version: label })
  await promptly(cache.deleteValue(`alias-${label}`))
  expect(await promptly(cache.getValue(`alias-${label}`))).toBeNull()
  const lock = await promptly(cache.lock(`models/${label}`))
  await promptly(lock.release())
  await promptly(cache.stats())
  await promptly(cache.verify())
  await promptly(cache.prune())
  await promptly(cache.delete(key))
  expect(await promptly(cache.get(key))).toBeNull()
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`)
    await delay(25)
  }
}

describe('Redis stopped and restarted during a run', () => {
  it('keeps every operation working on the local tier with one warning, and uses Redis again once it is back', async () => {
    const server = await ownServer()
    const machines = machinesOn(server.url)
    const logger = recordingLogger()
    const a = await machines.machine({}, logger)
    await exercise(a, 'before')
    expect((await a.stats()).redis.available).toBe(true)

    await server.stop()
    await exercise(a, 'down')
    // The client keeps trying to reconnect meanwhile; that must not add warnings.
    await delay(1500)
    await exercise(a, 'still-down')
    expect(logger.warnings).toHaveLength(1)
    expect(logger.warnings[0]).toContain(`Redis at ${server.url} is unavailable`)
    expect((await a.stats()).redis.available).toBe(false)

    await server.start()
    await until(() => logger.infos.length > 0, 5000)
    expect(logger.infos).toEqual([expect.stringContaining('reachable again')])
    const bytes = randomBytes(3000)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes))
    const b = await machines.machine()
    const path = await b.get(key)
    expect(path).not.toBeNull()
    expect((await readFile(path ?? '')).equals(bytes)).toBe(true)
    expect(logger.warnings).toHaveLength(1)
  })

  it('starts on its local tier when Redis is down from the start, then joins Redis when it comes up', async () => {
    const port = await freePort()
    const machines = machinesOn(`redis://127.0.0.1:${port}`)
    const logger = recordingLogger()
    const a = await machines.machine({}, logger)
    await exercise(a, 'never-up')
    expect(logger.warnings).toHaveLength(1)

    const server = new OwnRedisServer(port)
    servers.push(server)
    await server.start()
    await until(() => logger.infos.length > 0, 5000)
    await a.setValue('alias', 'shared now')
    const b = await machines.machine()
    expect(await b.getValue('alias')).toBe('shared now')
  })

  it('replays the values changed and the content deleted while Redis was away, so no worker reads what they replaced', async () => {
    const server = await ownServer()
    const machines = machinesOn(server.url)
    const logger = recordingLogger()
    const a = await machines.machine({ commandTimeoutMs: 300 }, logger)
    const b = await machines.machine()
    await a.setValue('meta-gen:models/x', 'generation-1')
    await a.setValue('meta:models/x', { refs: { latest: '1.0.0' } })
    expect(await b.getValue('meta:models/x')).toEqual({ refs: { latest: '1.0.0' } })
    const bytes = randomBytes(100)
    const key = sha256(bytes)
    await a.set(key, await stageFile(a, key, bytes))

    // A hung server keeps its data: what a changes meanwhile goes to its local tier, and
    // Redis still holds what those changes replaced.
    server.pause()
    try {
      await a.setValue('meta-gen:models/x', 'generation-2')
      await a.deleteValue('meta:models/x')
      await a.delete(key)
      expect(await a.getValue('meta-gen:models/x')).toBe('generation-2')
      expect(await a.getValue('meta:models/x')).toBeNull()
    } finally {
      server.resume()
    }
    await until(() => logger.infos.length > 0, 5000)
    // a's own next operation waits for the replay; other workers see its result.
    expect(await a.getValue('meta-gen:models/x')).toBe('generation-2')
    expect(await b.getValue('meta-gen:models/x')).toBe('generation-2')
    expect(await b.getValue('meta:models/x')).toBeNull()
    expect(await b.get(key)).toBeNull()
    // The local copies were dropped: the next outage does not bring them back.
    expect(await a.local.getValue('meta-gen:models/x')).toBeNull()
  })

  it('replays a change whose local write was still under way when Redis came back, not the older one it replaced', async () => {
    const server = await ownServer()
    const machines = machinesOn(server.url)
    const logger = recordingLogger()
    const a = await machines.machine({}, logger)
    const b = await machines.machine()
    await a.setValue('meta-gen:models/x', 'generation-1')
    await server.stop()
    await a.setValue('meta-gen:models/x', 'generation-2')
    // The local tier is slow to take the next change: Redis returns, and the replay runs, meanwhile.
    let release = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const keepLocally = a.local.setValue.bind(a.local)
    a.local.setValue = async (...args) => {
      await held
      return keepLocally(...args)
    }
    const change = a.setValue('meta-gen:models/x', 'generation-3')
    await delay(50)
    await server.start()
    await until(() => logger.infos.length > 0, 5000)
    let replayed: unknown = null
    for (const deadline = Date.now() + 5000; replayed === null && Date.now() < deadline; await delay(25)) replayed = await b.getValue('meta-gen:models/x')
    release()
    await change
    // Redis holds the newest generation (the older one would serve metadata it invalidated), and no local copy outlives the outage.
    expect(replayed).toBe('generation-3')
    expect(await a.getValue('meta-gen:models/x')).toBe('generation-3')
    expect(await a.local.getValue('meta-gen:models/x')).toBeNull()
  })

  it('gives up on a hung Redis after commandTimeoutMs and uses it again once it answers', async () => {
    const server = await ownServer()
    const machines = machinesOn(server.url)
    const logger = recordingLogger()
    const a = await machines.machine({ commandTimeoutMs: 300, connectTimeoutMs: 300 }, logger)
    await a.setValue('alias', 'before')
    server.pause()
    try {
      expect(await promptly(a.getValue('alias'), 2000)).toBeNull()
      await exercise(a, 'hung')
      expect(logger.warnings).toHaveLength(1)
    } finally {
      server.resume()
    }
    await until(() => logger.infos.length > 0, 5000)
    expect(await a.getValue('alias')).toBe('before')
  })
})

describe('credentials', () => {
  it('a password in the URL appears in no warning', async () => {
    const server = await ownServer(['--requirepass', 'right-password'])
    const machines = machinesOn(server.url)
    const wrong = recordingLogger()
    const a = await machines.machine({ url: `redis://:wrong-password@127.0.0.1:${server.port}` }, wrong)
    await exercise(a, 'wrong-password')
    const unreachable = recordingLogger()
    const b = await machines.machine({ url: `redis://admin:other-password@127.0.0.1:${await freePort()}` }, unreachable)
    await exercise(b, 'unreachable')
    for (const [logger, secret] of [
      [wrong, 'wrong-password'],
      [unreachable, 'other-password'],
    ] as const) {
      expect(logger.warnings).toHaveLength(1)
      expect(logger.warnings[0]).toContain(':***@127.0.0.1')
      expect(logger.warnings[0]).not.toContain(secret)
    }

    const right = recordingLogger()
    const c = await machines.machine({ url: `redis://:right-password@127.0.0.1:${server.port}` }, right)
    await c.setValue('alias', 'v1')
    expect((await c.stats()).redis.available).toBe(true)
    expect(right.warnings).toEqual([])
  })
})
