// Downloading one LFS file through @assets/storage-huggingface from a test hub on 127.0.0.1
// against `curl -L -o` (one stream, following the same redirect) and aria2c (8 connections, with
// and without its sha256 check), in the same run; then the bytes
// a download costs when it stops at 50 % and resumes from its range journal.
// The test hub is nginx answering the hub's resolve URL as huggingface.co does for an LFS file
// (302 to the CDN with X-Linked-ETag, X-Linked-Size and X-Repo-Commit) and serving the CDN path
// with byte ranges, so that neither side shares a process with the server.
// Then the same against a link model: the CDN path of a second repository capped by nginx at
// BENCH_LINK_MIBPS per connection (limit_rate, default 64 MiB/s; the resolve answer is not
// capped), as a CDN caps one stream: curl's one stream meets the cap, parallel ranges do not.
// Reproduce: `pnpm build && pnpm --filter @assets/bench hf`; BENCH_HF_BYTES (default 1 GiB),
// BENCH_RUNS (default 3, median), BENCH_HF_DIR (default /dev/shm when present), BENCH_LINK_MIBPS
// (0: skip the capped link).
import { spawn } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { once } from 'node:events'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { createHuggingFaceStorage } from '@assets/storage-huggingface'
import { aria2cArgs, hasAria2c } from './aria2c.mjs'

const BYTES = Number(process.env.BENCH_HF_BYTES ?? 1 << 30)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const LINK_MIBPS = Number(process.env.BENCH_LINK_MIBPS ?? 64)
const DIR = process.env.BENCH_HF_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const root = mkdtempSync(join(DIR, 'assets-bench-hf-'))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mib = (n) => `${(n / (1 << 20)).toFixed(0)} MiB`

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

function writeObject(path) {
  const hash = createHash('sha256')
  const block = Buffer.alloc(16 << 20)
  const fd = openSync(path, 'w')
  for (let done = 0; done < BYTES; done += block.length) {
    const piece = block.subarray(0, Math.min(block.length, BYTES - done))
    randomFillSync(piece)
    hash.update(piece)
    writeSync(fd, piece)
  }
  closeSync(fd)
  return hash.digest('hex')
}

async function startHub(port, oid) {
  for (const folder of ['logs', 'tmp', 'data']) mkdirSync(join(root, folder), { recursive: true })
  const user = process.getuid?.() === 0 ? 'user root;' : ''
  // absolute_redirect off: the Location is a path, so a client behind the counting proxy stays behind it.
  writeFileSync(
    join(root, 'nginx.conf'),
    `${user} worker_processes 1; daemon off; pid ${root}/nginx.pid; error_log ${root}/logs/error.log warn;
     events { worker_connections 256; }
     http { access_log off; sendfile on; absolute_redirect off; client_body_temp_path ${root}/tmp/body; proxy_temp_path ${root}/tmp/proxy;
       fastcgi_temp_path ${root}/tmp/fastcgi; uwsgi_temp_path ${root}/tmp/uwsgi; scgi_temp_path ${root}/tmp/scgi;
       default_type application/octet-stream;
       server { listen 127.0.0.1:${port};
         location = /acme/bench/resolve/main/weights.bin {
           add_header X-Linked-ETag '"${oid}"'; add_header X-Linked-Size ${BYTES}; add_header X-Repo-Commit ${'f'.repeat(40)};
           return 302 /lfs-cdn/${oid}?sig=bench; }
         location /lfs-cdn/ { alias ${root}/data/; }
         location = /acme/capped/resolve/main/weights.bin {
           add_header X-Linked-ETag '"${oid}"'; add_header X-Linked-Size ${BYTES}; add_header X-Repo-Commit ${'f'.repeat(40)};
           return 302 /capped-cdn/${oid}?sig=bench; }
         location /capped-cdn/ { alias ${root}/data/; limit_rate ${Math.max(1, LINK_MIBPS)}m; } } }`,
  )
  const child = spawn('nginx', ['-p', root, '-c', join(root, 'nginx.conf'), '-e', join(root, 'logs', 'error.log')], { stdio: 'inherit' })
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => connect(port, '127.0.0.1').once('connect', function () { this.destroy(); resolve(true) }).once('error', () => resolve(false)))
    if (ok) return child
    await delay(50)
  }
  throw new Error('nginx did not start')
}

/** A TCP proxy that counts the response bytes of all its connections. */
async function startProxy(targetPort) {
  const stats = { bytes: 0, connections: 0 }
  const server = createServer((client) => {
    stats.connections++
    const upstream = connect(targetPort, '127.0.0.1')
    const close = () => { client.destroy(); upstream.destroy() }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    client.pipe(upstream)
    upstream.on('data', (chunk) => {
      stats.bytes += chunk.length
      if (!client.write(chunk)) { upstream.pause(); client.once('drain', () => upstream.resume()) }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { port: server.address().port, stats, stop: () => new Promise((resolve) => server.close(resolve)) }
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))))
  })
}

async function timed(action) {
  const start = performance.now()
  await action()
  return (performance.now() - start) / 1000
}

/**
 * The link model: the CDN's connections capped at LINK_MIBPS by nginx's limit_rate, the same
 * file, the same clients, in rounds of curl then the plugin. One stream of the plugin shows the
 * cap holds per connection (it lands on curl's time); the 8 ranges show what parallel ranges buy.
 */
async function cappedLink(endpoint, port, oid, context, out) {
  const storage = createHuggingFaceStorage({ repo: 'acme/capped', endpoint }, context)
  const oneStream = createHuggingFaceStorage({ repo: 'acme/capped', endpoint, rangeConcurrency: 1 }, context)
  const times = { curl: [], plugin: [], pluginOne: [], aria2c: [] }
  for (let i = 0; i < RUNS; i++) {
    rmSync(out, { force: true })
    times.curl.push(await timed(() => run('curl', ['-sS', '-L', '-o', out, `${endpoint}/acme/capped/resolve/main/weights.bin`])))
    rmSync(out, { force: true })
    times.plugin.push(await timed(async () => {
      const result = await storage.download('weights.bin', out)
      if (result.digest !== `sha256:${oid}`) throw new Error('plugin: digest mismatch')
    }))
    rmSync(out, { force: true })
    times.pluginOne.push(await timed(() => oneStream.download('weights.bin', out)))
    rmSync(out, { force: true })
    if (hasAria2c) times.aria2c.push(await timed(() => run('aria2c', aria2cArgs(`${endpoint}/acme/capped/resolve/main/weights.bin`, out, oid))))
  }
  await storage.close?.()
  await oneStream.close?.()
  const curl = median(times.curl)
  const show = (name, t, note = '') => console.log(`${name.padEnd(58)} ${t.toFixed(2)} s  ${(BYTES / (1 << 20) / t).toFixed(0).padStart(5)} MiB/s  ${(t / curl).toFixed(2)} x curl${note}`)
  console.log(`\nthe same ${mib(BYTES)} over a capped CDN link: nginx limit_rate ${LINK_MIBPS} MiB/s per connection, median of ${RUNS} runs`)
  console.log(`  (each run: curl ${times.curl.map((t) => t.toFixed(2)).join(', ')} s; 8 ranges ${times.plugin.map((t) => t.toFixed(2)).join(', ')} s)`)
  show('curl -L -o (one stream, no hash)', curl)
  show('HuggingFaceStorage.download (8 ranges, sha256 checked)', median(times.plugin), '   goal <= 1.00')
  show('HuggingFaceStorage.download, one stream', median(times.pluginOne))
  if (hasAria2c) show('aria2c, 8 connections after the redirect, sha256 checked', median(times.aria2c))

  // Stopped at 50 % over the capped link, resumed later from the range journal.
  rmSync(out, { force: true })
  const proxy = await startProxy(port)
  const viaProxy = createHuggingFaceStorage({ repo: 'acme/capped', endpoint: `http://127.0.0.1:${proxy.port}` }, context)
  const stop = new AbortController()
  await viaProxy
    .download('weights.bin', out, { signal: stop.signal, onProgress: (p) => p.bytes >= BYTES / 2 && stop.abort() })
    .catch((error) => { if (error.name !== 'AbortError') throw error })
  const before = proxy.stats.bytes
  const result = await viaProxy.download('weights.bin', out, { resume: true })
  await proxy.stop()
  await viaProxy.close?.()
  if (result.digest !== `sha256:${oid}`) throw new Error('capped resumed download: digest mismatch')
  console.log(`capped link, stopped at 50 % and resumed with resume: true: ${(proxy.stats.bytes / BYTES).toFixed(4)} x the file size on the wire (${mib(before)} before the stop, ${proxy.stats.connections} connections)   goal <= 1.05`)
}

let nginx
try {
  const port = await freePort()
  mkdirSync(join(root, 'data'), { recursive: true })
  const oid = writeObject(join(root, 'data', 'object.bin'))
  // The CDN path is named by the sha256, as the hub's is.
  renameSync(join(root, 'data', 'object.bin'), join(root, 'data', oid))
  nginx = await startHub(port, oid)
  readFileSync(join(root, 'data', oid)) // into the page cache
  const endpoint = `http://127.0.0.1:${port}`
  const context = { allowInsecureStorage: true, cacheDir: root }
  const storage = createHuggingFaceStorage({ repo: 'acme/bench', endpoint }, context)
  const oneStream = createHuggingFaceStorage({ repo: 'acme/bench', endpoint, rangeConcurrency: 1 }, context)
  const out = join(root, 'out.bin')
  const times = { curl: [], plugin: [], pluginOne: [], aria2c: [], aria2cSha: [] }
  for (let i = -1; i < RUNS; i++) {
    // Round -1 warms the server, the JIT and the page cache, untimed.
    const keep = (list, t) => i >= 0 && list.push(t)
    rmSync(out, { force: true })
    keep(times.curl, await timed(() => run('curl', ['-sS', '-L', '-o', out, `${endpoint}/acme/bench/resolve/main/weights.bin`])))
    rmSync(out, { force: true })
    keep(times.plugin, await timed(async () => {
      const result = await storage.download('weights.bin', out)
      if (result.digest !== `sha256:${oid}`) throw new Error('plugin: digest mismatch')
    }))
    rmSync(out, { force: true })
    keep(times.pluginOne, await timed(() => oneStream.download('weights.bin', out)))
    if (hasAria2c) {
      const url = `${endpoint}/acme/bench/resolve/main/weights.bin`
      rmSync(out, { force: true })
      keep(times.aria2c, await timed(() => run('aria2c', aria2cArgs(url, out))))
      rmSync(out, { force: true })
      keep(times.aria2cSha, await timed(() => run('aria2c', aria2cArgs(url, out, oid))))
    }
  }
  const curl = median(times.curl)
  const show = (name, t, note = '') => console.log(`${name.padEnd(58)} ${t.toFixed(2)} s  ${(BYTES / (1 << 20) / t).toFixed(0).padStart(5)} MiB/s  ${(t / curl).toFixed(2)} x curl${note}`)
  console.log(`LFS download of ${mib(BYTES)} from a test hub (nginx) on 127.0.0.1 into ${DIR}, median of ${RUNS} runs`)
  show('curl -L -o (one stream, no hash)', curl)
  show('HuggingFaceStorage.download (8 ranges, sha256 checked)', median(times.plugin), '   goal <= 1.00')
  show('HuggingFaceStorage.download, one stream (rangeConcurrency 1)', median(times.pluginOne))
  if (hasAria2c) {
    show('aria2c, 8 connections after the redirect (no hash)', median(times.aria2c))
    show('aria2c, 8 connections after the redirect, sha256 checked', median(times.aria2cSha))
  } else console.log('aria2c: not installed (Debian: apt-get install aria2), its rows left out')

  // Stopped at 50 % (abort), resumed later with resume: true from the range journal.
  rmSync(out, { force: true })
  const proxy = await startProxy(port)
  const viaProxy = createHuggingFaceStorage({ repo: 'acme/bench', endpoint: `http://127.0.0.1:${proxy.port}` }, context)
  const stop = new AbortController()
  await viaProxy
    .download('weights.bin', out, { signal: stop.signal, onProgress: (p) => p.bytes >= BYTES / 2 && stop.abort() })
    .catch((error) => { if (error.name !== 'AbortError') throw error })
  const before = proxy.stats.bytes
  const result = await viaProxy.download('weights.bin', out, { resume: true })
  await proxy.stop()
  if (result.digest !== `sha256:${oid}`) throw new Error('resumed download: digest mismatch')
  console.log(`download stopped at 50 % and resumed with resume: true: ${(proxy.stats.bytes / BYTES).toFixed(4)} x the file size on the wire (${mib(before)} before the stop, ${proxy.stats.connections} connections)   goal <= 1.05`)
  await storage.close?.()
  await oneStream.close?.()
  await viaProxy.close?.()

  if (LINK_MIBPS > 0) await cappedLink(endpoint, port, oid, context, out)
} finally {
  nginx?.kill('SIGTERM')
  if (nginx) await once(nginx, 'exit')
  rmSync(root, { recursive: true, force: true })
}
