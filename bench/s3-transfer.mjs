// Upload and download of one large file through @assets/storage-s3 against `aws s3 cp` (aws-cli
// v2 from Debian) to and from the same Ceph RADOS Gateway in the same run; the bytes an upload
// sends when it is killed at 50 % and rerun (resumed from its journal); the plugin's peak RSS.
// The gateway is the tests' fixture: a throwaway one-node Ceph cluster on 127.0.0.1.
// Both clients are timed as whole processes (start, imports, transfer, exit), like for like;
// the plugin's time inside its process and aws-cli's fixed cost (the same command on a missing
// key) are printed beside them, so that the transfers alone can be compared too.
// BENCH_S3_BYTES (default 1 GiB), BENCH_RUNS (rounds of each transfer, default 3), BENCH_S3_DIR (default /dev/shm when present: the shared VM's
// disk writeback would swamp the differences between clients; point it at a disk to include it).
// The plugin runs in child processes (this script with --child) so that its maxRSS is its own.
import { execFile, spawn } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createS3Storage } from '@assets/storage-s3'
import { startCephRgw } from '../plugins/storage-s3/test/fixtures/ceph-rgw.mjs'

const run = promisify(execFile)
const BYTES = Number(process.env.BENCH_S3_BYTES ?? 1 << 30)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const DIR = process.env.BENCH_S3_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const BUCKET = 'bench'
const mib = (n) => `${(n / (1 << 20)).toFixed(0)} MiB`

/** Child mode: one plugin operation, reporting its figures as JSON lines on stdout. */
async function child([op, optionsJson, location, path]) {
  const storage = createS3Storage(JSON.parse(optionsJson), { allowInsecureStorage: true })
  const started = performance.now()
  let result
  if (op === 'upload') {
    result = await storage.upload(location, path, {
      onProgress: ({ bytes }) => process.stdout.write(`${JSON.stringify({ progress: bytes, sent: storage.stats.bytesSent })}\n`),
    })
  } else {
    result = await storage.download(location, path)
  }
  const seconds = (performance.now() - started) / 1000
  const rssMiB = process.resourceUsage().maxRSS / 1024
  process.stdout.write(`${JSON.stringify({ done: true, seconds, digest: result.digest, sent: storage.stats.bytesSent, rssMiB })}\n`)
  await storage.close()
}

/** Runs the plugin in a child; `killAt` (bytes of progress) SIGKILLs it there, like a crash. `wall`: the whole process. */
function plugin(op, options, location, path, killAt) {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--no-warnings', new URL(import.meta.url).pathname, '--child', op, JSON.stringify(options), location, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let last = {}
    let buffered = ''
    proc.stdout.on('data', (chunk) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop()
      for (const line of lines) {
        last = { ...last, ...JSON.parse(line) }
        if (killAt !== undefined && last.progress >= killAt && proc.exitCode === null) proc.kill('SIGKILL')
      }
    })
    proc.on('exit', (code, signal) => {
      const wall = (performance.now() - started) / 1000
      if (code === 0 || signal === 'SIGKILL') resolve({ ...last, wall, killed: signal === 'SIGKILL' })
      else reject(new Error(`plugin ${op} exited with ${code}`))
    })
  })
}

async function timed(action) {
  const started = performance.now()
  await action()
  return (performance.now() - started) / 1000
}

async function sha256File(path) {
  const { stdout } = await run('sha256sum', [path])
  return `sha256:${stdout.split(' ')[0]}`
}

async function main() {
  const root = mkdtempSync(join(DIR, 'assets-bench-s3-'))
  const rgw = await startCephRgw({ memstoreBytes: Math.max(8 * 1024 ** 3, BYTES * (2 * RUNS + 3)) })
  try {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_DEFAULT_REGION: rgw.region }
    const aws = (...args) => run('/usr/bin/aws', ['--endpoint-url', rgw.endpoint, ...args], { env, maxBuffer: 1 << 24 })
    await aws('s3', 'mb', `s3://${BUCKET}`)
    const source = join(root, 'source.bin')
    const fd = openSync(source, 'w')
    const block = Buffer.alloc(8 << 20)
    const hash = createHash('sha256')
    for (let written = 0; written < BYTES; written += block.length) {
      const slice = block.subarray(0, Math.min(block.length, BYTES - written))
      randomFillSync(slice)
      hash.update(slice)
      writeSync(fd, slice)
    }
    closeSync(fd)
    const digest = `sha256:${hash.digest('hex')}`
    const options = {
      bucket: BUCKET,
      endpoint: rgw.endpoint,
      region: rgw.region,
      accessKeyId: rgw.accessKeyId,
      secretAccessKey: rgw.secretAccessKey,
      journalDir: join(root, 'journal'),
      // e.g. BENCH_S3_OPTIONS='{"rangeSize":33554432,"rangeConcurrency":4}' to try other settings
      ...JSON.parse(process.env.BENCH_S3_OPTIONS ?? '{}'),
    }
    console.log(`${mib(BYTES)} to and from Ceph ${(await run('ceph', ['--version'])).stdout.split(' ')[2]} RADOS Gateway (memstore) on 127.0.0.1, files in ${DIR}`)
    const settings = process.env.BENCH_S3_OPTIONS ? `defaults overridden by ${process.env.BENCH_S3_OPTIONS}` : 'defaults'
    console.log(`plugin (${settings}): uploads in 8 MiB parts, 4 in flight; downloads in 16 MiB ranges, 8 in flight`)
    console.log('aws-cli: its defaults (8 MiB parts and ranges, 10 requests)')

    // aws-cli's fixed cost per command: Python start, imports, one request (a missing key).
    const awsFixed = []
    for (let round = 0; round < RUNS; round++) {
      awsFixed.push(await timed(() => aws('s3', 'cp', '--no-progress', `s3://${BUCKET}/missing.bin`, join(root, 'missing.out')).catch(() => {})))
    }
    // Both clients vary from one run to the next on a gateway that shares their two cores: RUNS
    // rounds, the two clients alternating, medians compared.
    const ups = []
    const awsUps = []
    for (let round = 0; round < RUNS; round++) {
      awsUps.push(await timed(() => aws('s3', 'cp', '--no-progress', source, `s3://${BUCKET}/aws-${round}.bin`)))
      const up = await plugin('upload', options, `plugin-${round}.bin`, source)
      if (up.digest !== digest) throw new Error('plugin upload digest differs')
      ups.push(up)
    }
    // aws-cli checks no digest, so each round also times sha256sum over its file: the
    // like-for-like verified download.
    const downs = []
    const awsDowns = []
    const sums = []
    for (let round = 0; round < RUNS; round++) {
      const down = await plugin('download', options, `plugin-${round}.bin`, join(root, 'plugin.out'))
      if (down.digest !== digest) throw new Error('plugin download digest differs')
      rmSync(join(root, 'plugin.out'))
      downs.push(down)
      awsDowns.push(await timed(() => aws('s3', 'cp', '--no-progress', `s3://${BUCKET}/aws-${round}.bin`, join(root, 'aws.out'))))
      let sum
      sums.push(await timed(async () => (sum = await sha256File(join(root, 'aws.out')))))
      if (sum !== digest) throw new Error('aws download digest differs')
      rmSync(join(root, 'aws.out'))
    }
    // What checking the digest costs a Node process by itself: sha256 of the file, from the page cache.
    const hashing = await timed(async () => {
      const hash = createHash('sha256')
      for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 })) hash.update(chunk)
      if (`sha256:${hash.digest('hex')}` !== digest) throw new Error('hash differs')
    })
    const middle = (xs, key) => [...xs].sort((a, b) => a[key] - b[key])[Math.floor(xs.length / 2)]
    const up = middle(ups, 'wall')
    const upInside = median(ups.map((u) => u.seconds))
    const awsUp = median(awsUps)
    const down = middle(downs, 'wall')
    const downInside = median(downs.map((d) => d.seconds))
    const awsDown = median(awsDowns)
    const fixed = median(awsFixed)
    const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} s`
    await aws('s3', 'rm', `s3://${BUCKET}/`, '--recursive')

    const killed = await plugin('upload', options, 'resumed.bin', source, BYTES / 2)
    if (!killed.killed) throw new Error('the upload finished before it could be killed at 50 %')
    const rerun = await plugin('upload', options, 'resumed.bin', source)
    if (rerun.digest !== digest) throw new Error('resumed upload digest differs')
    const resumeRatio = (killed.sent + rerun.sent) / BYTES

    const row = (what, seconds, baseline, label = 'x aws   goal <= 1.0') =>
      console.log(`${what.padEnd(72)} ${seconds.toFixed(2).padStart(7)} s ${(BYTES / (1 << 20) / seconds).toFixed(0).padStart(5)} MiB/s${baseline ? `  ${(seconds / baseline).toFixed(2)} ${label}` : ''}`)
    console.log('whole processes:')
    row(`aws s3 cp upload (median of ${RUNS}, ${spread(awsUps)})`, awsUp)
    row(`plugin upload, sha256 checked (median of ${RUNS}, ${spread(ups.map((u) => u.wall))})`, up.wall, awsUp)
    row(`aws s3 cp download, no digest check (median of ${RUNS}, ${spread(awsDowns)})`, awsDown)
    row(`plugin download, sha256 checked (median of ${RUNS}, ${spread(downs.map((d) => d.wall))})`, down.wall, awsDown)
    row(`aws s3 cp download + sha256sum (medians)`, awsDown + median(sums))
    row('plugin download, sha256 checked', down.wall, awsDown + median(sums), 'x aws + sha256sum')
    console.log(`transfers alone (aws-cli's fixed cost per command, ${fixed.toFixed(2)} s, taken off; the plugin timed inside its process):`)
    row('aws s3 cp upload', awsUp - fixed)
    row('S3Storage.upload', upInside, awsUp - fixed, 'x aws')
    row('aws s3 cp download', awsDown - fixed)
    row('S3Storage.download', downInside, awsDown - fixed, 'x aws')
    row('sha256 of the file in one Node process (the check aws-cli does not make)', hashing)
    console.log(`upload killed at 50 % (${mib(killed.sent)} sent) and rerun (${mib(rerun.sent)} sent): ${resumeRatio.toFixed(3)} x the file size   goal <= 1.1`)
    const rss = Math.max(up.rssMiB, down.rssMiB, rerun.rssMiB)
    console.log(`plugin peak RSS (maxRSS of the child): upload ${up.rssMiB.toFixed(0)} MiB, download ${down.rssMiB.toFixed(0)} MiB, resumed upload ${rerun.rssMiB.toFixed(0)} MiB   goal <= 200 MB: ${rss * 1.048576 <= 200 ? 'met' : 'missed'}`)
  } finally {
    await rgw.stop()
    rmSync(root, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--child') await child(process.argv.slice(3))
else await main()
