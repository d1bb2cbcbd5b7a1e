// A metadata look-up the way the manager's MetadataCache does one on a hit: the key's generation
// token, then its cached entry (refs and one record, ~1 KB of JSON), two getValue calls. Served
// by the Memcached tier, by the Redis tier and by the local tier, 2 000 look-ups each after 200
// untimed ones, in the same run, the three interleaved in blocks of 100 so that the machine's
// load falls on all of them alike. Memcached: a memcached of the benchmark's own on a free port
// (or MEMCACHED_SERVERS); Redis: 127.0.0.1:6379 (or REDIS_URL). Keys under a random prefix.
import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { createLocalCache } from '@assets/cache-local'
import { createMemcachedCache } from '@assets/cache-memcached'
import { createRedisCache } from '@assets/cache-redis'

const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 2000)
const WARMUP = 200
const BLOCK = 100
const root = mkdtempSync(join(tmpdir(), 'assets-bench-memcached-'))
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]
const logger = { warn: (message) => console.error(message) }

const key = 'datasets/tabula-sapiens/blood'
const record = {
  key,
  version: '1.4.2',
  digest: `sha256:${randomBytes(32).toString('hex')}`,
  size: 734_003_200,
  kind: 'dataset',
  metadata: { organism: 'human', tissue: 'blood', n_cells: 50_115, assay: "10x 3' v3", license: 'CC-BY-4.0' },
  provenance: { author: 'bench', source: 'https://example.org/tabula', citations: ['doi:10.1126/science.abl4896'] },
  access: { read: ['group:bench'], write: ['user:bench'] },
  createdBy: 'bench',
  createdAt: new Date().toISOString(),
}
const entry = { gen: randomUUID(), refs: { latest: '1.4.2' }, records: { '1.4.2': record } }

async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function ownMemcached() {
  const port = await freePort()
  const args = ['-p', String(port), '-l', '127.0.0.1', '-U', '0', ...(process.getuid?.() === 0 ? ['-u', 'root'] : [])]
  const child = spawn('memcached', args, { stdio: 'ignore' })
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (up) return { servers: `127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') }
    await delay(25)
  }
  throw new Error('memcached did not start (apt-get install memcached)')
}

/** One look-up as MetadataCache.lookup does it on a hit. */
async function lookup(cache) {
  const gen = await cache.getValue(`meta-gen:${key}`)
  const cached = await cache.getValue(`meta:${key}`)
  if (gen !== entry.gen || cached?.refs?.latest !== '1.4.2') throw new Error(`${cache.name}: not a hit`)
}

const own = process.env.MEMCACHED_SERVERS ? undefined : await ownMemcached()
const prefix = `assets-bench:${randomBytes(4).toString('hex')}:`
const tiers = {
  local: createLocalCache({ path: join(root, 'local') }),
  Redis: createRedisCache({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', path: join(root, 'redis'), keyPrefix: prefix }, { logger }),
  Memcached: createMemcachedCache({ servers: process.env.MEMCACHED_SERVERS ?? own.servers, path: join(root, 'memcached'), keyPrefix: prefix }, { logger }),
}
try {
  const times = {}
  for (const [name, cache] of Object.entries(tiers)) {
    await cache.setValue(`meta-gen:${key}`, entry.gen, { ttl: 3600 })
    await cache.setValue(`meta:${key}`, entry, { ttl: 300 })
    for (let i = 0; i < WARMUP; i++) await lookup(cache)
    times[name] = []
  }
  for (let done = 0; done < LOOKUPS; done += BLOCK) {
    for (const [name, cache] of Object.entries(tiers)) {
      for (let i = 0; i < BLOCK; i++) {
        const t = performance.now()
        await lookup(cache)
        times[name].push(performance.now() - t)
      }
    }
  }
  const baseline = percentile(times.local, 0.5)
  const baseline95 = percentile(times.local, 0.95)
  console.log(`metadata look-up (gen + entry, ${JSON.stringify(entry).length} bytes of JSON), ${LOOKUPS} each`)
  console.log('| tier | p50 | p95 | p50 / local | p95 / local |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const [name, xs] of Object.entries(times)) {
    const p50 = percentile(xs, 0.5)
    const p95 = percentile(xs, 0.95)
    console.log(`| ${name} | ${(p50 * 1000).toFixed(0)} µs | ${(p95 * 1000).toFixed(0)} µs | ${(p50 / baseline).toFixed(2)} | ${(p95 / baseline95).toFixed(2)} |`)
  }
  const m = percentile(times.Memcached, 0.5)
  const r = percentile(times.Redis, 0.5)
  console.log(`Memcached / Redis: p50 ${(m / r).toFixed(2)}, p95 ${(percentile(times.Memcached, 0.95) / percentile(times.Redis, 0.95)).toFixed(2)}`)
} finally {
  await tiers.Redis.clear().catch(() => {})
  await Promise.all(Object.values(tiers).map((cache) => cache.close()))
  own?.stop()
  rmSync(root, { recursive: true, force: true })
}
