// One large asset behind a throttled HTTP source, fetched at the same time by 4 workers (4
// processes, each with its own local cache folder): each straight from the source with a local
// cache (the baseline), against all of them through one S3Cache tier (a Ceph RADOS Gateway on
// loopback, started here), in the same run. The source is nginx behind a proxy that caps the
// bytes per second of all its connections together, as a rate-limited mirror or hub does.
// BENCH_CACHE_S3_BYTES (default 1 GiB), BENCH_SOURCE_MIBPS (the source's cap, default 64),
// BENCH_WORKERS (default 4), BENCH_CACHE_S3_DIR (default /dev/shm when present: the disk's
// writeback on the shared VM would swamp what is measured).
import { spawn } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { once } from 'node:events'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { createLocalCache } from '@assets/cache-local'
import { createS3Cache } from '@assets/cache-s3'
import { BaseAssetManager } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createHttpStorage } from '@assets/storage-http'
import { createLocalStorage } from '@assets/storage-local'
import { startCephRgw } from '../plugins/storage-s3/test/fixtures/ceph-rgw.mjs'

const BYTES = Number(process.env.BENCH_CACHE_S3_BYTES ?? 1 << 30)
const MIBPS = Number(process.env.BENCH_SOURCE_MIBPS ?? 64)
const WORKERS = Number(process.env.BENCH_WORKERS ?? 4)
const DIR = process.env.BENCH_CACHE_S3_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
// The SDK's notice about its future Node requirement is news for maintainers, not for this output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const silent = { warn: (message) => console.warn(message), info: () => {} }
// Loopback over plain http (nginx and Ceph): allowed explicitly, as a config must say it.
const context = { allowInsecureStorage: true, logger: silent }

if (process.argv[2] === '--worker') await worker(JSON.parse(process.argv[3]))
else await main()

/** One worker: a manager over the throttled source, with a local or an S3 cache; prints its time. */
async function worker({ sourceUrl, registry, cache, key }) {
  const start = performance.now()
  const manager = new BaseAssetManager(
    {
      storage: createHttpStorage({ baseUrl: sourceUrl }, context),
      registry: createSqliteRegistry({ path: registry }),
      cache: cache.type === 's3' ? createS3Cache(cache.options, context) : createLocalCache({ path: cache.path }),
    },
    { user: 'bench' },
  )
  await manager.get(key)
  const seconds = (performance.now() - start) / 1000
  const stats = await manager.cache.stats()
  await manager.close()
  process.stdout.write(`${JSON.stringify({ seconds, fromBucket: stats.s3?.hits ?? 0 })}\n`)
}

async function main() {
  const root = mkdtempSync(join(DIR, 'assets-bench-cache-s3-'))
  const stops = []
  try {
    const data = join(root, 'data')
    mkdirSync(data, { recursive: true })
    const registry = join(root, 'registry.db')
    const file = join(root, 'weights.bin')
    writeRandom(file)
    // Published once into the folder nginx serves; the workers read it over HTTP only.
    const publisher = new BaseAssetManager({ storage: createLocalStorage({ path: data }), registry: createSqliteRegistry({ path: registry }) }, { user: 'bench' })
    const key = 'bench/weights'
    await publisher.put(key, file)
    await publisher.close()
    rmSync(file)

    const nginx = await startNginx(root, data)
    stops.push(nginx.stop)
    const proxy = await startThrottle(nginx.port, MIBPS * (1 << 20))
    stops.push(proxy.stop)
    const rgw = await startCephRgw()
    stops.push(() => rgw.stop())
    const bucket = 'bench-cache'
    const client = new S3Client({ endpoint: rgw.endpoint, region: rgw.region, forcePathStyle: true, credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey } })
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
    client.destroy()
    const sourceUrl = `http://127.0.0.1:${proxy.port}/files/`

    const s3 = { bucket, endpoint: rgw.endpoint, region: rgw.region, accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey, forcePathStyle: true }
    const rounds = [
      { name: 'each from the source (local caches)', cache: (i) => ({ type: 'local', path: join(root, `direct-${i}`) }) },
      { name: 'through S3Cache', cache: (i) => ({ type: 's3', options: { ...s3, prefix: 'bench-cache/', path: join(root, `tiered-${i}`) } }) },
    ]
    const results = []
    for (const round of rounds) {
      const sentBefore = proxy.stats.bytes
      const start = performance.now()
      const answers = await Promise.all(Array.from({ length: WORKERS }, (_, i) => runWorker({ sourceUrl, registry, cache: round.cache(i), key })))
      const seconds = (performance.now() - start) / 1000
      const sourceBytes = proxy.stats.bytes - sentBefore
      results.push({ name: round.name, seconds, sourceBytes, each: answers.map((a) => a.seconds).sort((a, b) => a - b), fromBucket: answers.reduce((n, a) => n + a.fromBucket, 0) })
      for (let i = 0; i < WORKERS; i++) rmSync(join(root, round === rounds[0] ? `direct-${i}` : `tiered-${i}`), { recursive: true, force: true })
    }
    const [direct, tiered] = results
    console.log(`${mib(BYTES)} asset, ${WORKERS} workers at once, source capped at ${MIBPS} MiB/s (all connections together)`)
    for (const r of results) {
      console.log(`  ${r.name.padEnd(38)} ${r.seconds.toFixed(1)} s until all ${WORKERS} had it (each: ${r.each.map((t) => t.toFixed(1)).join(', ')} s); source sent ${mib(r.sourceBytes)}; from the bucket: ${r.fromBucket}`)
    }
    console.log(`  S3Cache / direct: time ${(tiered.seconds / direct.seconds).toFixed(2)}, bytes from the source ${(tiered.sourceBytes / direct.sourceBytes).toFixed(2)}`)
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    rmSync(root, { recursive: true, force: true })
  }
}

function runWorker(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`worker exited with ${code}`))))
  })
}

function writeRandom(path) {
  const block = Buffer.alloc(16 << 20)
  const fd = openSync(path, 'w')
  for (let done = 0; done < BYTES; done += block.length) {
    const piece = block.subarray(0, Math.min(block.length, BYTES - done))
    randomFillSync(piece)
    writeSync(fd, piece)
  }
  closeSync(fd)
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

async function startNginx(root, data) {
  const port = await freePort()
  for (const folder of ['logs', 'tmp']) mkdirSync(join(root, folder), { recursive: true })
  const user = process.getuid?.() === 0 ? 'user root;' : ''
  writeFileSync(
    join(root, 'nginx.conf'),
    `${user} worker_processes 1; daemon off; pid ${root}/nginx.pid; error_log ${root}/logs/error.log warn;
     events { worker_connections 256; }
     http { access_log off; sendfile on; client_body_temp_path ${root}/tmp/body; proxy_temp_path ${root}/tmp/proxy;
       fastcgi_temp_path ${root}/tmp/fastcgi; uwsgi_temp_path ${root}/tmp/uwsgi; scgi_temp_path ${root}/tmp/scgi;
       default_type application/octet-stream;
       server { listen 127.0.0.1:${port}; location /files/ { alias ${data}/; } } }`,
  )
  const child = spawn(existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx', ['-p', root, '-c', join(root, 'nginx.conf'), '-e', join(root, 'logs', 'error.log')], { stdio: 'inherit' })
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => resolve(socket.destroy() && true)).once('error', () => resolve(false))
    })
    if (ok) return { port, stop: async () => { child.kill('SIGTERM'); await once(child, 'exit') } }
    await delay(50)
  }
  throw new Error('nginx did not start')
}

/**
 * A TCP proxy whose responses share one byte budget per second (a virtual clock advanced by
 * each chunk's share of the cap): a slow source for everyone, however many connections.
 */
async function startThrottle(targetPort, bytesPerSecond) {
  const stats = { bytes: 0 }
  let clock = performance.now()
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    const close = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    client.pipe(upstream)
    upstream.on('data', (chunk) => {
      stats.bytes += chunk.length
      client.write(chunk)
      const now = performance.now()
      clock = Math.max(clock, now) + (chunk.length / bytesPerSecond) * 1000
      if (clock - now > 2) {
        upstream.pause()
        setTimeout(() => upstream.resume(), clock - now)
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { port: server.address().port, stats, stop: () => new Promise((resolve) => server.close(resolve)) }
}

function mib(n) {
  return `${(n / (1 << 20)).toFixed(0)} MiB`
}
