// `assets import cz-benchmarks` of the real datasets.yaml (38 entries) against a local Ceph RADOS
// Gateway holding a small h5ad at each of its keys, in a bucket of the same name read anonymously
// (public-read): wall time of the whole command and the requests it makes (counted by a proxy in
// front of the gateway), for a first import (HEAD only), a second one (nothing changed) and a
// first import with --hash (every object read). Baseline in the same run: `aws s3api head-object
// --no-sign-request` once per object (38 processes), the way a script would pin them by hand,
// through the same proxy; and the floor of the requests themselves, 38 unsigned HeadObject calls
// from the AWS SDK inside this process (no process start). BENCH_RUNS rounds (default 3), medians.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CreateBucketCommand, HeadObjectCommand, PutBucketAclCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { startCephRgw } from '../plugins/storage-s3/test/fixtures/ceph-rgw.mjs'

const run = promisify(execFile)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const BUCKET = 'cz-benchmarks-data'
const CATALOGUE = fileURLToPath(new URL('../apps/cli/test/fixtures/cz-benchmarks/datasets.yaml', import.meta.url))
const WRITER = fileURLToPath(new URL('../tests/cli-backends/test/fixtures/write_cz_h5ad.py', import.meta.url))
const BIN = fileURLToPath(new URL('../apps/cli/dist/bin.js', import.meta.url))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** A proxy that forwards to the gateway and counts requests by method. */
async function countingProxy(target) {
  const upstream = new URL(target)
  const counts = {}
  const server = createServer((req, res) => {
    counts[req.method] = (counts[req.method] ?? 0) + 1
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    take() {
      const taken = { ...counts }
      for (const k of Object.keys(counts)) delete counts[k]
      return taken
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }),
  }
}

async function timed(fn) {
  const started = performance.now()
  const result = await fn()
  return { seconds: (performance.now() - started) / 1000, result }
}

const requestsText = (c) => Object.entries(c).sort().map(([m, n]) => `${n} ${m}`).join(', ') || 'none'

async function main() {
  const rgw = await startCephRgw({ memstoreBytes: 2 * 1024 ** 3 })
  const work = mkdtempSync(join(tmpdir(), 'bench-cz-import-'))
  let proxy
  try {
    const client = new S3Client({
      endpoint: rgw.endpoint, region: rgw.region, forcePathStyle: true,
      credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    })
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }))
    await client.send(new PutBucketAclCommand({ Bucket: BUCKET, ACL: 'public-read' }))
    const text = readFileSync(CATALOGUE, 'utf8')
    const objects = new Map([...text.matchAll(/^ {2}(\w+):\n(?:^ {4}.*\n)*?^ {4}path: s3:\/\/cz-benchmarks-data\/(\S+)$/gm)].map((m) => [m[1], m[2]]))
    if (objects.size !== 38) throw new Error(`expected 38 entries, found ${objects.size}`)
    await run('/usr/bin/python3', [WRITER, work, ...objects.keys()])
    let bytes = 0
    for (const [name, key] of objects) {
      const body = readFileSync(join(work, `${name}.h5ad`))
      bytes += body.length
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ACL: 'public-read' }))
    }
    client.destroy()
    proxy = await countingProxy(rgw.endpoint)
    const rounds = { baseline: [], sdk: [], first: [], again: [], hashed: [] }
    const anonymous = new S3Client({
      endpoint: proxy.endpoint, region: 'us-east-1', forcePathStyle: true,
      credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (r) => r },
    })
    const requests = {}
    for (let round = 0; round < RUNS; round++) {
      // Baseline: one aws-cli process per object, as a shell loop would.
      proxy.take()
      const base = await timed(async () => {
        for (const key of objects.values()) {
          await run('aws', ['s3api', 'head-object', '--bucket', BUCKET, '--key', key, '--endpoint-url', proxy.endpoint, '--no-sign-request', '--region', 'us-east-1'])
        }
      })
      rounds.baseline.push(base.seconds)
      requests.baseline = proxy.take()
      const sdk = await timed(async () => {
        for (const key of objects.values()) await anonymous.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
      })
      rounds.sdk.push(sdk.seconds)
      requests.sdk = proxy.take()
      for (const [name, extra, fresh] of [['first', [], true], ['again', [], false], ['hashed', ['--hash'], true]]) {
        const home = join(work, `home-${name === 'again' ? 'first' : name}-${round}`)
        if (fresh) rmSync(home, { recursive: true, force: true })
        const env = { PATH: process.env.PATH, HOME: work, ASSETS_HOME: home, ALLOW_INSECURE_STORAGE: 'true' }
        const r = await timed(() => run(process.execPath, [BIN, 'import', 'cz-benchmarks', CATALOGUE, '--s3-endpoint', proxy.endpoint, '--json', '-q', ...extra], { env, cwd: work }))
        const report = JSON.parse(r.result.stdout)
        const expected = name === 'again' ? { unchanged: 38 } : { new: 38 }
        for (const [k, v] of Object.entries(expected)) if (report[k] !== v) throw new Error(`${name}: ${k} = ${report[k]}, expected ${v}: ${r.result.stdout.slice(0, 400)}`)
        rounds[name].push(r.seconds)
        requests[name] = proxy.take()
      }
    }
    anonymous.destroy()
    const b = median(rounds.baseline)
    const floor = median(rounds.sdk)
    console.log(`38 objects, ${(bytes / 1024).toFixed(0)} KiB in all, local Ceph RGW through a counting proxy; ${RUNS} rounds, medians`)
    console.log(`baseline  aws s3api head-object x38 (38 processes)   ${b.toFixed(2)} s   requests: ${requestsText(requests.baseline)}`)
    console.log(`floor     SDK HeadObject x38 in this process      ${floor.toFixed(2)} s   requests: ${requestsText(requests.sdk)}`)
    for (const [name, label] of [['first', 'assets import (first, HEAD only)       '], ['again', 'assets import (again, nothing changed) '], ['hashed', 'assets import --hash (first)           ']]) {
      const s = median(rounds[name])
      console.log(`${label}  ${s.toFixed(2)} s   ${(s / b).toFixed(3)}x baseline   ${(s / floor).toFixed(1)}x floor   requests: ${requestsText(requests[name])}`)
    }
  } finally {
    await proxy?.close()
    await rgw.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
