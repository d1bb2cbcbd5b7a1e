// A hit in the Redis tier (a 1 MiB blob fetched from Redis, verified and materialised into a
// worker's empty local tier) against a hit in the local disk cache (a stat of the entry), in
// the same run. Redis: 127.0.0.1:6379; keys under a random prefix, removed at the end.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalCache } from '@assets/cache-local'
import { createRedisCache } from '@assets/cache-redis'
import { sha256 } from '@assets/core'

const RUNS = Number(process.env.BENCH_RUNS ?? 200)
const root = mkdtempSync(join(tmpdir(), 'assets-bench-cache-'))
const bytes = randomBytes(1 << 20)
const key = sha256(bytes)
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)]

async function stage(cache) {
  const path = cache.stagingPath(key)
  writeFileSync(path, bytes)
  await cache.set(key, path)
}

try {
  const local = createLocalCache({ path: join(root, 'local') })
  await stage(local)
  const localTimes = []
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now()
    if (!(await local.get(key))) throw new Error('local miss')
    localTimes.push(performance.now() - t)
  }
  await local.close()

  const prefix = `assets-bench:${randomBytes(4).toString('hex')}:`
  const writer = createRedisCache({ url: 'redis://127.0.0.1:6379', path: join(root, 'writer'), keyPrefix: prefix })
  await stage(writer)
  const reader = createRedisCache({ url: 'redis://127.0.0.1:6379', path: join(root, 'reader'), keyPrefix: prefix })
  const readerTier = createLocalCache({ path: join(root, 'reader') })
  const redisTimes = []
  for (let i = 0; i < RUNS; i++) {
    await readerTier.delete(key) // the reader's own disk forgets it: the next get must come from Redis
    const t = performance.now()
    if (!(await reader.get(key))) throw new Error('redis miss')
    redisTimes.push(performance.now() - t)
  }
  await writer.clear()
  await Promise.all([writer.close(), reader.close(), readerTier.close()])
  const l = percentile(localTimes, 0.5)
  const r = percentile(redisTimes, 0.5)
  console.log(`1 MiB hit: local cache p50 ${l.toFixed(2)} ms (p95 ${percentile(localTimes, 0.95).toFixed(2)}); Redis tier p50 ${r.toFixed(2)} ms (p95 ${percentile(redisTimes, 0.95).toFixed(2)}) incl. sha256 check and write to the local tier -> ${(r / l).toFixed(0)}x a local hit`)
} finally {
  rmSync(root, { recursive: true, force: true })
}
