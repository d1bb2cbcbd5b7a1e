import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { temporaryFolder } from '@assets/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { createLocalCache, type LocalCache } from '../src/index.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
const KEY = 'sha256:shared'
let root = ''
const opened: LocalCache[] = []

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()))
  if (root !== '') await rm(root, { recursive: true, force: true })
  root = ''
})

async function cacheOnNewRoot(options: { staleLockMs?: number } = {}): Promise<LocalCache> {
  root = await temporaryFolder('cache-local-locks')
  return another(options)
}

/** A second instance over the same root: another process, as far as the lock files can tell. */
function another(options: { staleLockMs?: number } = {}): LocalCache {
  const cache = createLocalCache({ path: root, ...options })
  opened.push(cache)
  return cache
}

/** The lock file of KEY, found by taking and releasing the lock once. */
async function lockFileOf(cache: LocalCache): Promise<string> {
  const lock = await cache.lock(KEY)
  const [name] = await readdir(join(root, 'locks'))
  await lock.release()
  return join(root, 'locks', name ?? '')
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  return child.pid ?? 0
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  let timer: NodeJS.Timeout | undefined
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms)
  })
  const result = await Promise.race([promise.then(() => 'settled' as const), pending])
  clearTimeout(timer)
  return result
}

describe('lock across processes', () => {
  it('lets one process at a time hold a key: appends made under the lock never interleave', async () => {
    await cacheOnNewRoot()
    const log = join(root, 'log.txt')
    await writeFile(log, '')
    const workers = ['a', 'b', 'c', 'd'].map((id) =>
      spawn(process.execPath, [join(fixtures, 'lock-worker.mjs'), root, log, id, '6'], { stdio: ['ignore', 'ignore', 'inherit'] }),
    )
    const codes = await Promise.all(workers.map(async (worker) => (await once(worker, 'exit'))[0]))
    expect(codes).toEqual([0, 0, 0, 0])
    const lines = (await readFile(log, 'utf8')).trim().split('\n')
    expect(lines).toHaveLength(4 * 6 * 2)
    for (let i = 0; i < lines.length; i += 2) {
      const [id, what] = (lines[i] ?? '').split(' ')
      expect(what).toBe('start')
      expect(lines[i + 1]).toBe(`${id} end`)
    }
    expect(await readdir(join(root, 'locks'))).toEqual([])
  })

  it('takes over a lock left by a process of this host that no longer exists', async () => {
    const cache = await cacheOnNewRoot()
    const path = await lockFileOf(cache)
    await writeFile(path, JSON.stringify({ token: 'crashed', pid: await deadPid(), host: hostname(), at: Date.now() }))
    const lock = cache.lock(KEY)
    expect(await settlesWithin(lock, 2000)).toBe('settled')
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid)
    await (await lock).release()
  })

  it('takes over a lock whose heartbeat stopped longer ago than staleLockMs', async () => {
    const cache = await cacheOnNewRoot({ staleLockMs: 1000 })
    const path = await lockFileOf(cache)
    // Another host: its pid cannot be checked from here, so only the age can tell.
    await writeFile(path, JSON.stringify({ token: 'silent', pid: process.pid, host: 'another-host', at: 0 }))
    const old = new Date(Date.now() - 5000)
    await utimes(path, old, old)
    const lock = cache.lock(KEY)
    expect(await settlesWithin(lock, 2000)).toBe('settled')
    await (await lock).release()
  })

  it('waits for a live holder with a fresh lock, and an abort ends the wait', async () => {
    const cache = await cacheOnNewRoot()
    const path = await lockFileOf(cache)
    const holder = JSON.stringify({ token: 'alive', pid: process.pid, host: hostname(), at: Date.now() })
    await writeFile(path, holder)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 400)
    const error = await cache.lock(KEY, { signal: controller.signal }).then(
      () => null,
      (e: unknown) => e,
    )
    expect((error as Error | null)?.name).toBe('AbortError')
    expect(await readFile(path, 'utf8')).toBe(holder)
  })

  it('a held lock stays fresh past staleLockMs thanks to its heartbeat', async () => {
    const holder = await cacheOnNewRoot({ staleLockMs: 200 })
    const waiter = another({ staleLockMs: 200 })
    const held = await holder.lock(KEY)
    const waiting = waiter.lock(KEY)
    expect(await settlesWithin(waiting, 1000)).toBe('pending')
    await held.release()
    expect(await settlesWithin(waiting, 2000)).toBe('settled')
    await (await waiting).release()
  })

  it('release leaves a lock that someone else has taken over', async () => {
    const cache = await cacheOnNewRoot()
    const lock = await cache.lock(KEY)
    const [name] = await readdir(join(root, 'locks'))
    const path = join(root, 'locks', name ?? '')
    const usurper = JSON.stringify({ token: 'usurper', pid: process.pid, host: hostname(), at: Date.now() })
    await writeFile(path, usurper)
    await lock.release()
    expect(await readFile(path, 'utf8')).toBe(usurper)
  })

  it('close releases the locks the instance still holds', async () => {
    const cache = await cacheOnNewRoot()
    await cache.lock(KEY)
    await cache.close()
    expect(await readdir(join(root, 'locks'))).toEqual([])
    const next = another()
    expect(await settlesWithin(next.lock(KEY), 500)).toBe('settled')
    expect(existsSync(join(root, 'locks'))).toBe(true)
  })
})
