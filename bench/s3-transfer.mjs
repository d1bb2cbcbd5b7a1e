// Upload and download of one large file through @assets/storage-s3 against `aws s3 cp` (aws-cli
// v2 from Debian) to and from the same Ceph RADOS Gateway in the same run; the bytes an upload
// sends when it is killed at 50 % and rerun (resumed from its journal); the plugin's peak RSS.
// The gateway is the tests' fixture: a throwaway one-node Ceph cluster on 127.0.0.1.
// BENCH_S3_BYTES (default 1 GiB), BENCH_RUNS (download rounds, default 3), BENCH_S3_DIR (default /dev/shm when present: the shared VM's
// disk writeback would swamp the differences between clients; point it at a disk to include it).
// The plugin runs in child processes (this script with --child) so that its maxRSS is its own.
import { execFile, spawn } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
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

/** Runs the plugin in a child; `killAt` (bytes of progress) SIGKILLs it there, like a crash. */
function plugin(op, options, location, path, killAt) {
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
    proc.on('exit', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve({ ...last, killed: signal === 'SIGKILL' }) : reject(new Error(`plugin ${op} exited with ${code}`))))
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
  const rgw = await startCephRgw({ memstoreBytes: Math.max(8 * 1024 ** 3, BYTES * 5) })
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
      ...(process.env.BENCH_S3_CONCURRENCY ? { concurrency: Number(process.env.BENCH_S3_CONCURRENCY) } : {}),
    }
    console.log(`${mib(BYTES)} to and from Ceph ${(await run('ceph', ['--version'])).stdout.split(' ')[2]} RADOS Gateway (memstore) on 127.0.0.1, files in ${DIR}`)
    console.log(`plugin: partSize 8 MiB, concurrency 4 (defaults); aws-cli: its defaults (8 MiB parts, 10 requests)`)

    const awsUp = await timed(() => aws('s3', 'cp', '--no-progress', source, `s3://${BUCKET}/aws.bin`))
    const up = await plugin('upload', options, 'plugin.bin', source)
    if (up.digest !== digest) throw new Error('plugin upload digest differs')
    // Downloads vary from one run to the next on a gateway that shares the client's two cores:
    // RUNS rounds, the two clients alternating, medians compared.
    const downs = []
    const awsDowns = []
    for (let round = 0; round < RUNS; round++) {
      const down = await plugin('download', options, 'plugin.bin', join(root, 'plugin.out'))
      if (down.digest !== digest) throw new Error('plugin download digest differs')
      rmSync(join(root, 'plugin.out'))
      downs.push(down)
      awsDowns.push(await timed(() => aws('s3', 'cp', '--no-progress', `s3://${BUCKET}/aws.bin`, join(root, 'aws.out'))))
      if ((await sha256File(join(root, 'aws.out'))) !== digest) throw new Error('aws download digest differs')
      rmSync(join(root, 'aws.out'))
    }
    const down = [...downs].sort((a, b) => a.seconds - b.seconds)[Math.floor(RUNS / 2)]
    const awsDown = median(awsDowns)
    const spread = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} s`
    await aws('s3', 'rm', `s3://${BUCKET}/aws.bin`)
    await aws('s3', 'rm', `s3://${BUCKET}/plugin.bin`)

    const killed = await plugin('upload', options, 'resumed.bin', source, BYTES / 2)
    if (!killed.killed) throw new Error('the upload finished before it could be killed at 50 %')
    const rerun = await plugin('upload', options, 'resumed.bin', source)
    if (rerun.digest !== digest) throw new Error('resumed upload digest differs')
    const resumeRatio = (killed.sent + rerun.sent) / BYTES

    const row = (what, seconds, baseline) =>
      console.log(`${what.padEnd(58)} ${seconds.toFixed(2).padStart(7)} s ${(BYTES / (1 << 20) / seconds).toFixed(0).padStart(5)} MiB/s${baseline ? `  ${(seconds / baseline).toFixed(2)} x aws   goal <= 1.0` : ''}`)
    row('aws s3 cp upload', awsUp)
    row('S3Storage.upload (multipart, sha256)', up.seconds, awsUp)
    row(`aws s3 cp download (median of ${RUNS}, ${spread(awsDowns)})`, awsDown)
    row(`S3Storage.download (median of ${RUNS}, ${spread(downs.map((d) => d.seconds))})`, down.seconds, awsDown)
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
