// A folder of many small files to and from S3 (the tests' throwaway Ceph RADOS Gateway on
// 127.0.0.1) with the built `assets` command, against `aws s3 sync` both ways, in the same run
// (issue 14: <= 1.0 x aws s3 sync each way). Whole processes are timed, like for like:
// - put:         `assets put bench/folder SRC`          vs `aws s3 sync SRC s3://bench/aws/`
// - cold get:    `assets get bench/folder` (cache fill)  vs `aws s3 sync s3://bench/aws/ DEST`
// - get --out:   `assets get --out DEST`, cache cleared first
// aws-cli checks no digest; ours hashes every file both ways.
// Usage: node bench/s3-folder.mjs [--files N] [--dirs D] [--rounds R]
//   default 10 000 files of 0.5–3.5 KiB in 100 subfolders, files under BENCH_DIR (default /dev/shm).
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startCephRgw } from '../plugins/storage-s3/test/fixtures/ceph-rgw.mjs'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const files = Number(option('files', 10_000))
const dirs = Number(option('dirs', Math.max(1, Math.round(files / 100))))
const rounds = Number(option('rounds', 1))
const bin = fileURLToPath(new URL('../apps/cli/dist/bin.js', import.meta.url))
const DIR = process.env.BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const root = mkdtempSync(join(DIR, 'assets-s3-folder-'))
const run = promisify(execFile)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function makeFolder(folder) {
  // Deterministic sizes 512..3583 bytes; random content so no two files share a blob.
  const block = Buffer.alloc(3584)
  let seed = 1
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed
  }
  let bytes = 0
  for (let d = 0; d < dirs; d++) mkdirSync(join(folder, `d${String(d).padStart(4, '0')}`), { recursive: true })
  for (let i = 0; i < files; i++) {
    const size = 512 + (next() % 3072)
    randomFillSync(block, 0, size)
    writeFileSync(join(folder, `d${String(i % dirs).padStart(4, '0')}`, `f${i}.bin`), block.subarray(0, size))
    bytes += size
  }
  return bytes
}

const countFiles = (folder) => readdirSync(folder, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length

const rgw = await startCephRgw({ memstoreBytes: 4 * 1024 ** 3 })
try {
  const awsEnv = { ...process.env, AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_DEFAULT_REGION: rgw.region }
  const env = {
    PATH: process.env.PATH,
    HOME: root,
    ASSETS_HOME: join(root, 'home'),
    ASSETS_USER: 'bench',
    STORAGE_TYPE: 's3',
    S3_BUCKET: 'bench',
    S3_PREFIX: 'assets',
    S3_ENDPOINT_URL: rgw.endpoint,
    S3_REGION: rgw.region,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    ALLOW_INSECURE_STORAGE: 'true',
  }
  await run('/usr/bin/aws', ['--endpoint-url', rgw.endpoint, 's3', 'mb', 's3://bench'], { env: awsEnv })
  const source = join(root, 'source')
  const bytes = makeFolder(source)
  execFileSync('sh', ['-c', `find ${source} -type f -print0 | xargs -0 cat > /dev/null`])
  /** A whole process, timed from spawn to exit. */
  const timed = (command, commandArgs, environment) => {
    const t = performance.now()
    const r = spawnSync(command, commandArgs, { env: environment, cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 })
    const seconds = (performance.now() - t) / 1000
    if (r.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} exited ${r.status}: ${r.stderr.slice(-4000)}`)
    return seconds
  }
  const aws = (...a) => timed('/usr/bin/aws', ['--endpoint-url', rgw.endpoint, ...a], awsEnv)
  const assets = (...a) => timed(process.execPath, [bin, ...a, '--quiet'], env)
  const t = { awsUp: [], put: [], awsDown: [], get: [], out: [] }
  for (let round = 0; round < rounds; round++) {
    t.awsUp.push(aws('s3', 'sync', '--only-show-errors', source, `s3://bench/aws-${round}/`))
    t.put.push(assets('put', `bench/folder-${round}`, source))
    const awsOut = join(root, `aws-out-${round}`)
    t.awsDown.push(aws('s3', 'sync', '--only-show-errors', `s3://bench/aws-${round}/`, awsOut))
    if (countFiles(awsOut) !== files) throw new Error('aws s3 sync: files missing')
    execFileSync(process.execPath, [bin, 'cache', 'clear', '--quiet'], { env, cwd: root })
    t.get.push(assets('get', `bench/folder-${round}`))
    execFileSync(process.execPath, [bin, 'cache', 'clear', '--quiet'], { env, cwd: root })
    const out = join(root, `out-${round}`)
    t.out.push(assets('get', `bench/folder-${round}`, '--out', out))
    if (countFiles(out) !== files) throw new Error('assets get --out: files missing')
    rmSync(awsOut, { recursive: true, force: true })
    rmSync(out, { recursive: true, force: true })
  }
  const row = (what, seconds, baseline, goal) =>
    console.log(`${what.padEnd(58)} ${seconds.toFixed(2).padStart(7)} s${baseline ? `  ${(seconds / baseline).toFixed(2)} x aws s3 sync${goal ? '   goal <= 1.0' : ''}` : ''}`)
  console.log(`${files} files (${(bytes / (1 << 20)).toFixed(1)} MiB, ${dirs} folders) to and from Ceph RGW on 127.0.0.1, files in ${DIR}, median of ${rounds}`)
  row('aws s3 sync SRC s3://… (upload)', median(t.awsUp))
  row('assets put (S3 storage, sha256 of every file)', median(t.put), median(t.awsUp), true)
  row('aws s3 sync s3://… DEST (download, no digest check)', median(t.awsDown))
  row('assets get, cold cache (download + verify every file)', median(t.get), median(t.awsDown), true)
  row('assets get --out DEST, cold cache', median(t.out), median(t.awsDown), true)
} finally {
  await rgw.stop()
  rmSync(root, { recursive: true, force: true })
}
