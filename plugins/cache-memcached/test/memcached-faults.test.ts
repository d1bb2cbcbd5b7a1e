import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { AssetConfig, loadPlugin, sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { MemcachedCache } from '../src/index.js'
import { Machines, rawClient, recordingLogger, stageFile } from './fixtures/machines.js'
import { OwnMemcachedServer } from './fixtures/memcached-server.js'

const servers: OwnMemcachedServer[] = []
const started = async (options: Parameters<typeof OwnMemcachedServer.start>[0] = {}) => {
  const server = await OwnMemcachedServer.start(options)
  servers.push(server)
  return server
}

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()))
})

/** Asks until memcached is in use again: recovery is tried by operations, once per retry interval. */
async function untilBack(cache: MemcachedCache): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await cache.stats()).memcached.available) {
    if (Date.now() > deadline) throw new Error('the cache did not return to memcached')
    await cache.getValue('anything')
    await delay(50)
  }
}

describe('memcached down', () => {
  const machines = new Machines(() => servers[0]?.servers ?? '')
  afterEach(() => machines.cleanup())

  it('bypasses it with one warning, answers from the local tier, and returns to it on its own when it is back', async () => {
    const server = await started()
    const logger = recordingLogger()
    const a = await machines.machine({ retryIntervalMs: 100 }, logger)
    const b = await machines.machine({ retryIntervalMs: 100 })
    await a.setValue('meta-gen:models/x', 'generation-1')
    expect(await b.getValue('meta-gen:models/x')).toBe('generation-1')

    await server.stop()
    await a.setValue('meta-gen:models/x', 'generation-2')
    expect(await a.getValue('meta-gen:models/x')).toBe('generation-2')
    const bytes = randomBytes(1000)
    const key = sha256(bytes)
    const path = await a.set(key, await stageFile(a, key, bytes))
    expect(await a.get(key)).toBe(path)
    expect(await a.has(key)).toBe(true)
    const lock = await a.lock(key)
    await lock.release()
    // Past the retry interval, operations try memcached again, and still warn no more.
    await delay(250)
    expect(await a.getValue('meta-gen:models/x')).toBe('generation-2')
    await a.deleteValue('meta:models/x')
    expect(logger.warnings).toHaveLength(1)
    expect(logger.warnings[0]).toContain(`memcached at ${server.servers} is unavailable`)
    expect(logger.warnings[0]).toContain('BACKEND_UNAVAILABLE')
    expect((await a.stats()).memcached.available).toBe(false)

    await server.start()
    await untilBack(a)
    expect(logger.infos).toEqual([expect.stringContaining('reachable again')])
    // The value changed during the outage was replayed into memcached: the other worker reads it.
    expect(await b.getValue('meta-gen:models/x')).toBe('generation-2')
    const after = randomBytes(500)
    await a.set(sha256(after), await stageFile(a, sha256(after), after))
    expect(await readFile((await b.get(sha256(after))) ?? '')).toEqual(after)
    expect(logger.warnings).toHaveLength(1)
  })

  it('a server that never answered is bypassed from the first operation, with one warning', async () => {
    const logger = recordingLogger()
    const lonely = new Machines(() => '127.0.0.1:1')
    try {
      const a = await lonely.machine({}, logger)
      await a.setValue('k', 'v')
      expect(await a.getValue('k')).toBe('v')
      expect(await a.getValue('other')).toBeNull()
      expect(logger.warnings).toEqual([expect.stringContaining('is unavailable')])
    } finally {
      await lonely.cleanup()
    }
  })
})

describe('SASL authentication', () => {
  const account = { username: 'alice', password: `pw-${randomBytes(6).toString('hex')}` }
  let server: OwnMemcachedServer
  const machines = new Machines(() => server.servers)
  afterEach(() => machines.cleanup())

  it('works with the right credentials, from MEMCACHED_USERNAME and MEMCACHED_PASSWORD, and the server refuses anyone without them', async () => {
    server = await started({ sasl: account })
    const home = await temporaryFolder('cache-memcached-sasl')
    const env = { CACHE_TYPE: 'Memcached', MEMCACHED_SERVERS: server.servers, MEMCACHED_USERNAME: account.username, MEMCACHED_PASSWORD: account.password, ASSETS_HOME: home }
    const config = AssetConfig.load({ env, cwd: home })
    const logger = recordingLogger()
    const a = await loadPlugin('cache', { ...config.cache, keyPrefix: machines.prefix }, config.pluginContext(logger), { importer: () => import('../src/index.js') })
    const b = await machines.machine({ ...account })
    try {
      await a.setValue('alias', 'v1')
      expect(await b.getValue('alias')).toBe('v1')
      expect(logger.warnings).toEqual([])
      expect((await (a as MemcachedCache).stats()).memcached.available).toBe(true)
    } finally {
      await a.close()
    }
    const anonymous = rawClient(server.servers)
    try {
      await expect(anonymous.get('anything')).rejects.toMatch(/authentication failed/)
    } finally {
      anonymous.close()
    }
  })

  it('a wrong password is reported once, as a configuration error that never shows the password, and the local tier answers', async () => {
    server = await started({ sasl: account })
    const logger = recordingLogger()
    const wrong = `not-${account.password}`
    const a = await machines.machine({ username: account.username, password: wrong, retryIntervalMs: 50 }, logger)
    await a.setValue('alias', 'local only')
    expect(await a.getValue('alias')).toBe('local only')
    for (let round = 0; round < 5; round += 1) {
      await delay(60)
      expect(await a.getValue('alias')).toBe('local only')
    }
    expect(logger.warnings).toHaveLength(1)
    expect(logger.warnings[0]).toContain('[CONFIG_INVALID]')
    expect(logger.warnings[0]).toContain('refused the SASL credentials')
    expect(logger.warnings[0]).not.toContain(wrong)
    expect((await a.stats()).memcached.available).toBe(false)
  })
})
