// 1 GiB through the asset server on S3 storage (the tests' Ceph RADOS Gateway) and through the
// presigned URLs it hands out, against `aws s3 cp` straight to the same bucket, in the same run;
// then the server's peak RSS (VmHWM of its process) during 8 concurrent 1 GiB downloads and
// during 8 concurrent 1 GiB uploads through it.
// The server is `assets serve` (the built CLI) in a process of its own, on S3 + the embedded
// SQLite registry. The clients are whole processes, like aws-cli: curl for the bytes (PUT
// /v1/blobs/<location> then POST /v1/register/<key>; GET /v1/content/<key>; POST /v1/presign then
// curl PUT/GET of the URL, and POST /v1/presign/complete after a PUT), with the small JSON requests around them (register, presign) timed
// too; and `assets get --out` (the remote client: parallel ranged GETs through the server), a fresh cache each round. The client's sha256 of the file (which a real put needs to name the blob) is not timed:
// it is the same for every way in, and aws-cli computes none.
// BENCH_S3_BYTES (default 1 GiB), BENCH_RUNS (rounds of each transfer, default 3),
// BENCH_CONCURRENT (default 8), BENCH_S3_DIR (the clients' files; default /dev/shm when
// present), BENCH_SERVER_DIR (the server's ASSETS_HOME, where uploads are received; default the
// OS temp folder, a disk: a server keeps partial uploads on disk, not in memory), BENCH_PHASES
// (serial, concurrent or both), BENCH_SERVER_CONFIG (a config file for the server: CONFIG_PATH).
import { execFile } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { blobLocation } from '@assets/core'
import { startCephRgw } from '../plugins/storage-s3/test/fixtures/ceph-rgw.mjs'
import { startServer } from './serve-process.mjs'

const run = promisify(execFile)
const BYTES = Number(process.env.BENCH_S3_BYTES ?? 1 << 30)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 8)
// serial (the timed transfers against aws-cli), concurrent (the peak RSS), or both (default).
const PHASES = (process.env.BENCH_PHASES ?? 'serial,concurrent').split(',')
const DIR = process.env.BENCH_S3_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const SERVER_DIR = process.env.BENCH_SERVER_DIR ?? tmpdir()
const CLI = new URL('../apps/cli/dist/bin.js', import.meta.url).pathname
const BUCKET = 'bench'
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mib = (n) => `${(n / (1 << 20)).toFixed(0)} MiB`

/** A file of `bytes` random bytes, and its digest. */
function randomFile(path, bytes) {
  const fd = openSync(path, 'w')
  const block = Buffer.alloc(8 << 20)
  const hash = createHash('sha256')
  for (let written = 0; written < bytes; written += block.length) {
    const slice = block.subarray(0, Math.min(block.length, bytes - written))
    randomFillSync(slice)
    hash.update(slice)
    writeSync(fd, slice)
  }
  closeSync(fd)
  return `sha256:${hash.digest('hex')}`
}

async function sha256File(path) {
  const { stdout } = await run('sha256sum', [path])
  return `sha256:${stdout.split(' ')[0]}`
}

async function timed(action) {
  const started = performance.now()
  await action()
  return (performance.now() - started) / 1000
}

const status = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8')
const kib = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1])
/** Peak RSS of `pid` in MiB since start or since the last resetPeak. */
const peakMiB = (pid) => kib(status(pid), 'VmHWM') / 1024
// Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS (Linux ≥ 4.0).
const resetPeak = (pid) => writeFileSync(`/proc/${pid}/clear_refs`, '5')

async function main() {
  const root = mkdtempSync(join(DIR, 'assets-bench-server-'))
  const serverHome = mkdtempSync(join(SERVER_DIR, 'assets-bench-server-home-'))
  // The objects stored at most at once: the blob and the concurrent uploads (with a margin).
  const rgw = await startCephRgw({ memstoreBytes: Math.max(4 * 1024 ** 3, BYTES * (CONCURRENT + 2)) })
  let server
  try {
    const awsEnv = { ...process.env, AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_DEFAULT_REGION: rgw.region }
    const aws = (...args) => run('/usr/bin/aws', ['--endpoint-url', rgw.endpoint, ...args], { env: awsEnv, maxBuffer: 1 << 24 })
    // The gateway frees a deleted object's data in its garbage collection, hours later by
    // default: run it at once so that the memstore holds only the objects alive.
    const remove = async (key) => {
      await aws('s3', 'rm', `s3://${BUCKET}/${key}`)
      await run('radosgw-admin', ['-c', join(rgw.dir, 'ceph.conf'), 'gc', 'process', '--include-all'])
    }
    await aws('s3', 'mb', `s3://${BUCKET}`)
    const env = {
      ...awsEnv,
      ASSETS_HOME: serverHome,
      STORAGE_TYPE: 's3',
      S3_BUCKET: BUCKET,
      S3_ENDPOINT_URL: rgw.endpoint,
      S3_REGION: rgw.region,
      // The gateway is plain http on 127.0.0.1.
      ALLOW_INSECURE_STORAGE: 'true',
    }
    for (const name of ['ASSETS_URL', 'ASSETS_TOKEN', 'DB_TYPE', 'CACHE_TYPE', 'CONFIG_PATH']) delete env[name]
    // e.g. a config.yaml with `storage: {type: s3, concurrency: 1}` to try the server with other storage options.
    if (process.env.BENCH_SERVER_CONFIG) env.CONFIG_PATH = process.env.BENCH_SERVER_CONFIG
    const { stdout } = await run(process.execPath, [CLI, 'token', 'create', '--user', 'bench', '--groups', 'lab', '--json'], { env })
    const token = JSON.parse(stdout).token
    server = await startServer(env)
    const pid = server.proc.pid
    const auth = `authorization: Bearer ${token}`
    const api = async (method, path, body) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      })
      const text = await response.text()
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`)
      return text ? JSON.parse(text) : {}
    }
    // The `assets` command as a client of the server: only its URL and token, nothing of the server's stack.
    const clientEnv = (home) => ({
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|S3_|ASSETS_|STORAGE_|DB_|CACHE_|CONFIG_PATH$)/.test(name))),
      ASSETS_URL: server.url,
      ASSETS_TOKEN: token,
      ALLOW_INSECURE_STORAGE: 'true',
      ASSETS_HOME: home,
    })
    // --fail-with-body: a refusal is an error here, with the server's error body on stderr.
    const curl = (...args) => run('curl', ['-sS', '--fail-with-body', '-H', 'Expect:', ...args], { maxBuffer: 1 << 24 })

    const source = join(root, 'source.bin')
    const digest = randomFile(source, BYTES)
    const location = blobLocation(digest)
    const content = { type: 'file', digest, size: BYTES, fileCount: 1, location }
    const register = (key) => api('POST', `/v1/register/${key}`, { content, metadata: { organism: 'human' }, options: { fileName: 'source.bin' } })
    // The blob is content-addressed: a second upload of the same bytes would find it stored and
    // send nothing, so it is removed from the bucket before each upload.
    const dropBlob = () => remove(location)
    const serverUpload = async (path = source, loc = location) => {
      await curl('-X', 'PUT', '-H', auth, '-H', 'content-type: application/octet-stream', '-T', path, `${server.url}/v1/blobs/${loc}`)
    }
    // A presigned upload: the bytes go to a staging object of this user in the bucket; the
    // completion has the server adopt them (a CopyObject, the gateway having checked the signed hash).
    const presignedUpload = async () => {
      const presigned = await api('POST', '/v1/presign', { method: 'PUT', digest, size: BYTES })
      await curl('-X', 'PUT', ...Object.entries(presigned.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), '-T', source, presigned.url)
      await api('POST', '/v1/presign/complete', { uploadId: presigned.uploadId, digest, size: BYTES })
    }
    const presignedDownload = async (key, out) => {
      const presigned = await api('POST', '/v1/presign', { method: 'GET', key, ref: 'latest' })
      await curl(...Object.entries(presigned.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), '-o', out, presigned.url)
    }

    console.log(`${mib(BYTES)} to and from Ceph ${(await run('ceph', ['--version'])).stdout.split(' ')[2]} RADOS Gateway (memstore) on 127.0.0.1; clients' files in ${DIR}, the server's home in ${SERVER_DIR}`)
    console.log(`server: assets serve on ${server.url} (S3 storage with ${process.env.BENCH_SERVER_CONFIG ? `the options of ${process.env.BENCH_SERVER_CONFIG}` : "the plugin's defaults"}, SQLite registry); clients: curl ${(await run('curl', ['--version'])).stdout.split(' ')[1]}, aws-cli with its defaults`)

    if (PHASES.includes('serial')) {
      const awsFixed = []
      for (let round = 0; round < RUNS; round++) awsFixed.push(await timed(() => aws('s3', 'cp', '--no-progress', `s3://${BUCKET}/missing.bin`, join(root, 'missing.out')).catch(() => {})))
      const t = { awsUp: [], serverUp: [], presignedUp: [], awsDown: [], serverDown: [], presignedDown: [], clientDown: [] }
      // Rounds alternate the ways in so that the machine's drift falls on each alike.
      for (let round = 0; round < RUNS; round++) {
        t.awsUp.push(await timed(() => aws('s3', 'cp', '--no-progress', source, `s3://${BUCKET}/aws-${round}.bin`)))
        if (round > 0) await remove(`aws-${round}.bin`)
        if (round > 0) await dropBlob()
        t.serverUp.push(
          await timed(async () => {
            await serverUpload()
            await register(`bench/server-${round}`)
          }),
        )
        await dropBlob()
        t.presignedUp.push(
          await timed(async () => {
            await presignedUpload()
            await register(`bench/presigned-${round}`)
          }),
        )
      }
      const out = join(root, 'out.bin')
      const check = async (what) => {
        if ((await sha256File(out)) !== digest) throw new Error(`${what}: the downloaded bytes differ`)
        rmSync(out)
      }
      for (let round = 0; round < RUNS; round++) {
        t.awsDown.push(await timed(() => aws('s3', 'cp', '--no-progress', `s3://${BUCKET}/aws-0.bin`, out)))
        await check('aws s3 cp')
        t.serverDown.push(await timed(() => curl('-H', auth, '-o', out, `${server.url}/v1/content/bench/server-${round}`)))
        await check('server download')
        t.presignedDown.push(await timed(() => presignedDownload(`bench/server-${round}`, out)))
        await check('presigned download')
        // The remote client itself (parallel ranged GETs through the server), with an empty cache each round.
        const clientHome = mkdtempSync(join(root, 'client-home-'))
        t.clientDown.push(await timed(() => run(process.execPath, [CLI, 'get', '-q', `bench/server-${round}`, '--out', out], { env: clientEnv(clientHome) })))
        await check('assets get')
        rmSync(clientHome, { recursive: true, force: true })
      }
      await remove('aws-0.bin')
      const serialPeak = peakMiB(pid)

      const fixed = median(awsFixed)
      const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} s`
      const row = (what, xs, baseline) => {
        const s = median(xs)
        const ratio = baseline ? `  ${(s / median(baseline)).toFixed(2)} × aws (${median(baseline) > fixed ? (s / (median(baseline) - fixed)).toFixed(2) : '—'} × without its ${fixed.toFixed(2)} s fixed cost)   goal <= 1.1` : ''
        console.log(`${what.padEnd(66)} ${s.toFixed(2).padStart(6)} s ${(BYTES / (1 << 20) / s).toFixed(0).padStart(5)} MiB/s (${spread(xs)})${ratio}`)
      }
      console.log(`medians of ${RUNS} rounds, whole client processes; aws-cli's fixed cost per command (the same cp of a missing key): ${fixed.toFixed(2)} s`)
      row('aws s3 cp upload', t.awsUp)
      row('through the server: curl PUT /v1/blobs + register', t.serverUp, t.awsUp)
      row('presigned: POST /v1/presign PUT + curl PUT + complete + register', t.presignedUp, t.awsUp)
      row('aws s3 cp download', t.awsDown)
      row('through the server: curl GET /v1/content', t.serverDown, t.awsDown)
      row('presigned: POST /v1/presign + curl GET', t.presignedDown, t.awsDown)
      row('through the server: assets get (the remote client, ranged)', t.clientDown, t.awsDown)
      console.log(`load average at the end of the serial transfers: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
      console.log(`server peak RSS (VmHWM) over the serial transfers: ${serialPeak.toFixed(0)} MiB`)
    } else {
      // The version the concurrent downloads read.
      await serverUpload()
      await register('bench/server-0')
    }

    if (PHASES.includes('concurrent')) {
      const goal = (m) => (m * 1.048576 <= 300 ? 'met' : 'MISSED')
      // CONCURRENT clients download the same version at once, each its own stream from the bucket.
      resetPeak(pid)
      const before = kib(status(pid), 'VmRSS') / 1024
      const downs = []
      const downAll = await timed(async () => {
        downs.push(...(await Promise.allSettled(Array.from({ length: CONCURRENT }, () => curl('-H', auth, '-o', '/dev/null', `${server.url}/v1/content/bench/server-0`)))))
      })
      const downPeak = peakMiB(pid)
      const downFailed = downs.filter((r) => r.status === 'rejected')
      console.log(
        `${CONCURRENT} concurrent downloads through the server: ${downAll.toFixed(1)} s in all (${((CONCURRENT * BYTES) / (1 << 20) / downAll).toFixed(0)} MiB/s), ${downFailed.length} failed${downFailed.map((r) => ` [${String(r.reason.stderr ?? r.reason).trim()}]`).join('')}; ` +
          `server peak RSS ${downPeak.toFixed(0)} MiB (${before.toFixed(0)} MiB before)   goal <= 300 MB: ${goal(downPeak)}`,
      )
      await dropBlob()
      // CONCURRENT uploads of different bytes (files on the server's disk side, so that the
      // clients' memory does not crowd the gateway's memstore).
      const sources = []
      for (let i = 0; i < CONCURRENT; i++) {
        const path = join(serverHome, `concurrent-${i}.bin`)
        sources.push({ path, digest: randomFile(path, BYTES), location: '' })
        sources[i].location = blobLocation(sources[i].digest)
      }
      resetPeak(pid)
      const ups = []
      const upAll = await timed(async () => {
        ups.push(...(await Promise.allSettled(sources.map(({ path, location: loc }) => serverUpload(path, loc)))))
      })
      // A client whose connection the server dropped does not see the end of the server's own
      // upload to the bucket: wait for every blob to be stored (HEAD 200) before reading the peak.
      const waited = await timed(async () => {
        for (const { location: loc } of sources) {
          const deadline = Date.now() + 600_000
          while ((await fetch(`${server.url}/v1/blobs/${loc}`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } })).status !== 200) {
            if (Date.now() > deadline) throw new Error(`${loc} was never stored`)
            await new Promise((resolve) => setTimeout(resolve, 1000))
          }
        }
      })
      const upPeak = peakMiB(pid)
      for (const [i, { path, digest: d, location: loc }] of sources.entries()) {
        await api('POST', `/v1/register/bench/concurrent-${i}`, { content: { ...content, digest: d, location: loc }, metadata: {}, options: { fileName: 'c.bin' } })
        rmSync(path)
      }
      const upFailed = ups.filter((r) => r.status === 'rejected')
      console.log(
        `${CONCURRENT} concurrent uploads through the server: ${upAll.toFixed(1)} s until the last client's answer, ${waited.toFixed(1)} s more until every blob was stored; ${upFailed.length} failed${upFailed.map((r) => ` [${String(r.reason.stderr ?? r.reason).trim()}]`).join('')}; ` +
          `server peak RSS ${upPeak.toFixed(0)} MiB   goal <= 300 MB: ${goal(upPeak)}`,
      )
    }
  } finally {
    if (server && server.proc.exitCode === null) {
      const exited = new Promise((resolve) => server.proc.once('exit', resolve))
      server.proc.kill('SIGTERM')
      await exited
    }
    await rgw.stop()
    rmSync(root, { recursive: true, force: true })
    rmSync(serverHome, { recursive: true, force: true })
  }
}

await main()
