// Download of one large file from a local nginx through @assets/storage-http (parallel ranged
// GETs, sha256 of every byte on a worker thread, digest checked) against curl -o (one stream),
// curl followed by sha256sum, aria2c (8 connections, with and without its sha256 check) and
// Pooch (pooch.retrieve with known_hash), in the same run; then
// the bytes a download costs when a connection is cut once half the object has crossed the
// wire, and when the download stops at 50 % and resumes later from its range journal.
// Then the same against a link model: nginx capping every connection at BENCH_LINK_MIBPS
// (limit_rate, default 64 MiB/s), as a CDN, S3 or a long-distance TCP window caps one stream,
// where curl's one stream meets the cap and parallel ranges do not (see BENCHMARKS.md).
// BENCH_HTTP_BYTES (default 1 GiB), BENCH_RUNS (default 3), BENCH_PYTHON (default /usr/bin/python3),
// BENCH_HTTP_DIR (default /dev/shm when present: on a shared VM the disk's writeback of earlier
// runs swamps the differences between clients; point it at a disk folder to include the disk),
// BENCH_LINK_MIBPS (0: skip the capped link).
import { execFileSync, spawn } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { once } from 'node:events'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { createHttpStorage } from '@assets/storage-http'
import { aria2cArgs, hasAria2c } from './aria2c.mjs'

const BYTES = Number(process.env.BENCH_HTTP_BYTES ?? 1 << 30)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const LINK_MIBPS = Number(process.env.BENCH_LINK_MIBPS ?? 64)
const PYTHON = process.env.BENCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3')
const DIR = process.env.BENCH_HTTP_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const root = mkdtempSync(join(DIR, 'assets-bench-http-'))
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

async function startNginx(port) {
  for (const folder of ['logs', 'tmp', 'data']) mkdirSync(join(root, folder), { recursive: true })
  const user = process.getuid?.() === 0 ? 'user root;' : ''
  writeFileSync(
    join(root, 'nginx.conf'),
    `${user} worker_processes 1; daemon off; pid ${root}/nginx.pid; error_log ${root}/logs/error.log warn;
     events { worker_connections 256; }
     http { access_log off; sendfile on; client_body_temp_path ${root}/tmp/body; proxy_temp_path ${root}/tmp/proxy;
       fastcgi_temp_path ${root}/tmp/fastcgi; uwsgi_temp_path ${root}/tmp/uwsgi; scgi_temp_path ${root}/tmp/scgi;
       default_type application/octet-stream;
       server { listen 127.0.0.1:${port}; location /files/ { alias ${root}/data/; }
         location /capped/ { alias ${root}/data/; limit_rate ${Math.max(1, LINK_MIBPS)}m; } } }`,
  )
  const child = spawn('nginx', ['-p', root, '-c', join(root, 'nginx.conf'), '-e', join(root, 'logs', 'error.log')], { stdio: 'inherit' })
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => connect(port, '127.0.0.1').once('connect', function () { this.destroy(); resolve(true) }).once('error', () => resolve(false)))
    if (ok) return child
    await delay(50)
  }
  throw new Error('nginx did not start')
}

/**
 * A TCP proxy that counts response bytes over all its connections and, when `cutAt` is given,
 * cuts the connection that carries the response byte number `cutAt` (once).
 */
async function startProxy(targetPort, cutAt) {
  const stats = { bytes: 0, connections: 0, cut: false }
  const server = createServer((client) => {
    stats.connections++
    const upstream = connect(targetPort, '127.0.0.1')
    let dead = false
    const close = () => { client.destroy(); upstream.destroy() }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    client.pipe(upstream)
    upstream.on('data', (chunk) => {
      if (dead) return
      const cutHere = cutAt !== undefined && !stats.cut && stats.bytes + chunk.length >= cutAt
      const piece = cutHere ? chunk.subarray(0, cutAt - stats.bytes) : chunk
      stats.bytes += piece.length
      if (!client.write(piece)) { upstream.pause(); client.once('drain', () => upstream.resume()) }
      if (cutHere) { stats.cut = true; dead = true; client.end(close) }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { port: server.address().port, stats, stop: () => new Promise((resolve) => server.close(resolve)) }
}

async function timed(action) {
  const start = performance.now()
  await action()
  return (performance.now() - start) / 1000
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => { out += chunk })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}`))))
  })
}

/**
 * The link model: every connection capped at LINK_MIBPS by nginx's limit_rate, the same file,
 * the same clients, in rounds of curl then the plugin. One stream of the plugin shows the cap
 * holds per connection (it lands on curl's time); the 8 ranges show what parallel ranges buy.
 */
async function cappedLink(port, hex, digest, context, out) {
  const url = `http://127.0.0.1:${port}/capped/object.bin`
  const storage = createHttpStorage({ baseUrl: `http://127.0.0.1:${port}/capped/` }, context)
  const oneStream = createHttpStorage({ baseUrl: `http://127.0.0.1:${port}/capped/`, rangeConcurrency: 1 }, context)
  const times = { curl: [], plugin: [], pluginOne: [], aria2c: [] }
  for (let i = 0; i < RUNS; i++) {
    rmSync(out, { force: true })
    times.curl.push(await timed(() => run('curl', ['-sS', '-o', out, url])))
    rmSync(out, { force: true })
    times.plugin.push(await timed(() => storage.download('object.bin', out, { digest })))
    rmSync(out, { force: true })
    times.pluginOne.push(await timed(() => oneStream.download('object.bin', out, { digest })))
    rmSync(out, { force: true })
    if (hasAria2c) times.aria2c.push(await timed(() => run('aria2c', aria2cArgs(url, out, hex))))
  }
  await storage.close()
  await oneStream.close()
  const curl = median(times.curl)
  const show = (name, t, note = '') => console.log(`${name.padEnd(54)} ${t.toFixed(2)} s  ${(BYTES / (1 << 20) / t).toFixed(0).padStart(5)} MiB/s  ${(t / curl).toFixed(2)} x curl${note}`)
  console.log(`\nthe same ${mib(BYTES)} over a capped link: nginx limit_rate ${LINK_MIBPS} MiB/s per connection, median of ${RUNS} runs`)
  console.log(`  (each run: curl ${times.curl.map((t) => t.toFixed(2)).join(', ')} s; 8 ranges ${times.plugin.map((t) => t.toFixed(2)).join(', ')} s)`)
  show('curl -o (one stream, no hash)', curl)
  show('@assets/storage-http download (8 ranges, sha256 check)', median(times.plugin), '   goal <= 1.00')
  show('@assets/storage-http download, one stream', median(times.pluginOne))
  if (hasAria2c) show('aria2c, 8 connections, sha256 checked', median(times.aria2c))

  // Stopped at 50 % over the capped link, resumed later from the range journal.
  rmSync(out, { force: true })
  const proxy = await startProxy(port, undefined)
  const viaProxy = createHttpStorage({ baseUrl: `http://127.0.0.1:${proxy.port}/capped/` }, context)
  const stop = new AbortController()
  await viaProxy
    .download('object.bin', out, { signal: stop.signal, onProgress: (p) => p.bytes >= BYTES / 2 && stop.abort() })
    .catch((error) => { if (error.name !== 'AbortError') throw error })
  const before = proxy.stats.bytes
  const result = await viaProxy.download('object.bin', out, { resume: true, digest })
  await viaProxy.close()
  await proxy.stop()
  if (result.digest !== `sha256:${hex}`) throw new Error('capped resumed download: digest mismatch')
  console.log(`capped link, stopped at 50 % and resumed with resume: true: ${(proxy.stats.bytes / BYTES).toFixed(4)} x the file size on the wire (${mib(before)} before the stop, ${proxy.stats.connections} connections)   goal <= 1.05`)
}

let nginx
try {
  const port = await freePort()
  nginx = await startNginx(port)
  const hex = writeObject(join(root, 'data', 'object.bin'))
  const digest = `sha256:${hex}`
  const url = `http://127.0.0.1:${port}/files/object.bin`
  execFileSync('cat', [join(root, 'data', 'object.bin')], { stdio: ['ignore', 'ignore', 'inherit'] }) // into the page cache
  // Loopback over plain http: allowed explicitly, as the config must say for any http:// store.
  const context = { allowInsecureStorage: true, cacheDir: root, logger: { warn: (m) => console.warn(m) } }
  const storage = createHttpStorage({ baseUrl: `http://127.0.0.1:${port}/files/` }, context)
  const out = join(root, 'out.bin')
  const times = { curl: [], curlSha: [], nodeFloor: [], plugin: [], pluginOne: [], aria2c: [], aria2cSha: [] }
  // The same plugin with one stream (rangeConcurrency 1): what the ranges add.
  const oneStream = createHttpStorage({ baseUrl: `http://127.0.0.1:${port}/files/`, rangeConcurrency: 1 }, context)
  // What this Node receives at best over one connection: the body drained, no hash, no file.
  const drain = () => new Promise((resolve, reject) => get(url, (res) => res.on('data', () => {}).on('end', resolve).on('error', reject)).on('error', reject))
  for (let i = 0; i < RUNS; i++) {
    rmSync(out, { force: true })
    times.curl.push(await timed(() => run('curl', ['-sS', '-o', out, url])))
    rmSync(out, { force: true })
    times.curlSha.push(await timed(async () => {
      await run('curl', ['-sS', '-o', out, url])
      const sum = (await run('sha256sum', [out])).split(' ')[0]
      if (sum !== hex) throw new Error('curl: digest mismatch')
    }))
    times.nodeFloor.push(await timed(drain))
    rmSync(out, { force: true })
    times.plugin.push(await timed(() => storage.download('object.bin', out, { digest })))
    rmSync(out, { force: true })
    times.pluginOne.push(await timed(() => oneStream.download('object.bin', out, { digest })))
    if (hasAria2c) {
      rmSync(out, { force: true })
      times.aria2c.push(await timed(() => run('aria2c', aria2cArgs(url, out))))
      rmSync(out, { force: true })
      times.aria2cSha.push(await timed(() => run('aria2c', aria2cArgs(url, out, hex))))
    }
  }
  rmSync(out, { force: true })
  const poochDir = join(root, 'pooch')
  const pooch = await timed(() =>
    run(PYTHON, ['-c', `import pooch, sys; pooch.retrieve(sys.argv[1], known_hash=sys.argv[2], fname='object.bin', path=sys.argv[3], progressbar=False)`, url, digest, poochDir]),
  )
  rmSync(poochDir, { recursive: true, force: true })

  const curl = median(times.curl)
  const show = (name, t, note = '') => console.log(`${name.padEnd(54)} ${t.toFixed(2)} s  ${(BYTES / (1 << 20) / t).toFixed(0).padStart(5)} MiB/s  ${(t / curl).toFixed(2)} x curl${note}`)
  console.log(`download of ${mib(BYTES)} from nginx on 127.0.0.1 into ${DIR}, median of ${RUNS} runs (pooch: 1 run)`)
  show('curl -o (no hash)', curl)
  show('curl -o, then sha256sum', median(times.curlSha))
  show('node:http, body drained (no hash, no file): the floor', median(times.nodeFloor))
  show('@assets/storage-http download (8 ranges, sha256 check)', median(times.plugin), '   goal <= 1.00')
  show('@assets/storage-http download, one stream (rangeConcurrency 1)', median(times.pluginOne))
  if (hasAria2c) {
    show('aria2c, 8 connections (no hash)', median(times.aria2c))
    show('aria2c, 8 connections, sha256 checked', median(times.aria2cSha))
  } else console.log('aria2c: not installed (Debian: apt-get install aria2), its rows left out')
  show('pooch.retrieve(known_hash=sha256:...)', pooch, `   plugin is ${(pooch / median(times.plugin)).toFixed(1)} x faster`)

  await oneStream.close()
  // Cut by the network at 50 %: the plugin resumes inside the same download call.
  const cutProxy = await startProxy(port, Math.floor(BYTES / 2))
  const viaCut = createHttpStorage({ baseUrl: `http://127.0.0.1:${cutProxy.port}/files/` }, context)
  await viaCut.download('object.bin', out, { digest })
  await viaCut.close()
  await cutProxy.stop()
  if (!cutProxy.stats.cut) throw new Error('the proxy never cut a connection')
  console.log(`connection cut at 50 %, resumed in the same call: ${(cutProxy.stats.bytes / BYTES).toFixed(4)} x the file size on the wire (${cutProxy.stats.connections} connections)   goal <= 1.05`)

  // Stopped at 50 % (abort), resumed later from the partial file with resume: true.
  rmSync(out, { force: true })
  const countingProxy = await startProxy(port, undefined)
  const viaProxy = createHttpStorage({ baseUrl: `http://127.0.0.1:${countingProxy.port}/files/` }, context)
  const stop = new AbortController()
  await viaProxy
    .download('object.bin', out, { signal: stop.signal, onProgress: (p) => p.bytes >= BYTES / 2 && stop.abort() })
    .catch((error) => { if (error.name !== 'AbortError') throw error })
  const before = countingProxy.stats.bytes
  const result = await viaProxy.download('object.bin', out, { resume: true, digest })
  await viaProxy.close()
  await countingProxy.stop()
  if (result.digest !== digest) throw new Error('resumed download: digest mismatch')
  console.log(`download stopped at 50 % and resumed with resume: true: ${(countingProxy.stats.bytes / BYTES).toFixed(4)} x the file size on the wire (${mib(before)} before the stop, ${countingProxy.stats.connections} connections)   goal <= 1.05`)
  await storage.close()

  if (LINK_MIBPS > 0) await cappedLink(port, hex, digest, context, out)
} finally {
  nginx?.kill('SIGTERM')
  if (nginx) await once(nginx, 'exit')
  rmSync(root, { recursive: true, force: true })
}
