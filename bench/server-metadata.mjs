// Metadata through the asset server under load: GET /v1/info/<key> and POST /v1/find, each by
// autocannon with BENCH_CONNECTIONS (default 100) connections for BENCH_SECONDS (default 30 s),
// as a token of a user in group "lab" (so every answer is ACL-checked), against the floor: the
// same manager call (getMetadata / findAssets as the same actor) made in-process on the same
// stack, with as many promises in flight as connections, for the same time.
// The server is `assets serve` (the built CLI) in a process of its own, over a catalogue of
// BENCH_KEYS (default 1 000) keys × BENCH_VERSIONS_PER_KEY (default 3) versions.
// BENCH_DB: sqlite (default, the embedded default stack) or postgres (127.0.0.1:5432, trust auth;
// a database of the run's own is created and dropped).
// autocannon runs in this process, on the same two cores as the server: the client's cost is
// in the server's figures, as it would be for any load generator on this machine.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { AssetConfig, blobLocation, createAssetManager, defaultAccessControl, PluginSearch, sha256 } from '@assets/core'
import { createPostgresRegistry } from '@assets/registry-postgres'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import autocannon from 'autocannon'
import postgres from 'postgres'
import { startServer } from './serve-process.mjs'

const run = promisify(execFile)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100)
const KEYS = Number(process.env.BENCH_KEYS ?? 1000)
const PER_KEY = Number(process.env.BENCH_VERSIONS_PER_KEY ?? 3)
const DB = process.env.BENCH_DB ?? 'sqlite'
const CLI = new URL('../apps/cli/dist/bin.js', import.meta.url).pathname
const ORGANISMS = ['human', 'mouse', 'zebrafish', 'fly', 'yeast']
const TISSUES = Array.from({ length: 20 }, (_, i) => (i === 0 ? 'blood' : `tissue-${i}`))
const owners = ['alice', 'bob', 'carol', 'dan']
const actor = { user: 'reader', groups: ['lab'], roles: [] }
const keyOf = (i) => `bench/${i.toString(36)}`
// 10 keys of 1 000 match; limit 20 so that the answer is the same size whatever BENCH_KEYS is.
const QUERY = { where: { organism: 'human', tissue: 'blood' }, limit: 20 }

function record(i, v) {
  const digest = sha256(`asset ${i} version ${v}`)
  const owner = owners[i % owners.length]
  return {
    key: keyOf(i),
    version: `1.0.${v}`,
    kind: i % 3 === 0 ? 'model' : 'dataset',
    type: 'file',
    digest,
    size: 1000 + i,
    fileCount: 1,
    location: blobLocation(digest),
    metadata: { organism: ORGANISMS[i % 5], tissue: TISSUES[Math.floor(i / 5) % 20], n_cells: (i * 7919) % 100_000, assay: i % 2 ? '10x' : 'smart-seq2' },
    relationships: [],
    // One asset in eight is private to its owner: the reader's ACL check has work to do.
    accessControl: defaultAccessControl({ user: owner }, i % 8 === 0 ? { read: [] } : { read: ['group:lab'] }),
    createdBy: `user:${owner}`,
    createdAt: new Date(1_700_000_000_000 + (i * PER_KEY + v) * 1000).toISOString(),
  }
}

const readable = (i) => i % 8 !== 0
const readableKeys = Array.from({ length: KEYS }, (_, i) => i)
  .filter(readable)
  .map(keyOf)

function stopServer(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve()
    proc.once('exit', resolve)
    proc.kill('SIGTERM')
  })
}

async function cannon(url, token, request) {
  let n = 0
  const result = await autocannon({
    url: request.path ? `${url}${request.path}` : url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}`, ...(request.body ? { 'content-type': 'application/json' } : {}) },
    method: request.method,
    body: request.body,
    requests: request.paths ? [{ setupRequest: (req) => ({ ...req, path: request.paths[n++ % request.paths.length] }) }] : undefined,
  })
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.total / SECONDS,
    total: result.requests.total,
    // Every answer that is not a 2xx counts as an error, with connection errors and timeouts.
    errors: result.errors + result.timeouts + result.non2xx,
    codes: result.statusCodeStats,
  }
}

/** The floor: `fn` with CONNECTIONS calls in flight for SECONDS, timed one by one. */
async function inProcess(fn) {
  const times = []
  let errors = 0
  const deadline = performance.now() + SECONDS * 1000
  let n = 0
  const worker = async () => {
    while (performance.now() < deadline) {
      const i = n++
      const t = performance.now()
      try {
        await fn(i)
        times.push(performance.now() - t)
      } catch {
        errors++
      }
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
  const elapsed = (performance.now() - started) / 1000
  times.sort((a, b) => a - b)
  const at = (p) => times[Math.min(times.length - 1, Math.floor(times.length * p))]
  return { p50: at(0.5), p99: at(0.99), rps: times.length / elapsed, total: times.length, errors }
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'assets-bench-server-'))
  const env = { ...process.env, ASSETS_HOME: home }
  delete env.ASSETS_URL
  delete env.ASSETS_TOKEN
  let dropDatabase = async () => {}
  let registry
  if (DB === 'postgres') {
    const admin = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', onnotice: () => {} }
    const database = `assets_bench_${randomBytes(4).toString('hex')}`
    const root = postgres({ ...admin, max: 1 })
    await root.unsafe(`CREATE DATABASE ${database}`)
    dropDatabase = async () => {
      await root.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
      await root.end()
    }
    Object.assign(env, { DB_TYPE: 'postgres', DB_HOST: admin.host, DB_PORT: String(admin.port), DB_NAME: database, DB_USER: admin.user })
    registry = createPostgresRegistry({ host: admin.host, port: admin.port, user: admin.user, database })
  } else if (DB === 'sqlite') {
    registry = createSqliteRegistry({ path: join(home, 'registry.db') })
  } else throw new Error(`BENCH_DB=${DB}: expected sqlite or postgres`)
  let server
  try {
    const t = performance.now()
    for (let v = 0; v < PER_KEY; v++) {
      for (let i = 0; i < KEYS; i++) await registry.register(record(i, v), { actor: record(i, v).createdBy })
    }
    await registry.close()
    const loadSeconds = (performance.now() - t) / 1000
    // On the embedded default the OS user is the admin; on a database server, whoever the config says.
    const adminConfig = join(home, 'admin.yaml')
    writeFileSync(adminConfig, 'identity:\n  user: admin\n  roles: [admin]\n')
    const { stdout } = await run(process.execPath, [CLI, 'token', 'create', '--user', actor.user, '--groups', 'lab', '--json'], { env: { ...env, CONFIG_PATH: adminConfig } })
    const token = JSON.parse(stdout).token
    server = await startServer(env)
    console.log(
      `machine: ${(await run('nproc')).stdout.trim()} cores, node ${process.version}; registry ${DB}; ${KEYS * PER_KEY} versions (${KEYS} keys × ${PER_KEY}) registered in ${loadSeconds.toFixed(1)} s; ` +
        `${CONNECTIONS} connections / promises in flight, ${SECONDS} s each; as ${actor.user} (group lab; 1 key in 8 is not readable)`,
    )
    // Warm both sides: the server's first requests compile its routes' validators.
    const warm = await fetch(`${server.url}/v1/info/${readableKeys[0]}`, { headers: { authorization: `Bearer ${token}` } })
    if (warm.status !== 200) throw new Error(`GET /v1/info answered ${warm.status}: ${await warm.text()}`)
    const found = await fetch(`${server.url}/v1/find`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) })
    const foundItems = (await found.json()).items
    if (found.status !== 200 || !Array.isArray(foundItems) || foundItems.length === 0) throw new Error(`POST /v1/find answered ${found.status}`)

    const manager = (await createAssetManager(AssetConfig.load({ env, cwd: home }), {
      // The same stack as the server's: the built-in plugins this folder depends on.
      importer: new PluginSearch({ bundledWith: import.meta.url }).importer,
      actor: { user: 'admin', groups: [], roles: ['admin'] },
    })).as(actor)
    const inFloor = (await manager.findAssets(QUERY)).items.length
    if (inFloor !== foundItems.length) throw new Error(`in-process find gives ${inFloor} rows, the server ${foundItems.length}`)

    const results = []
    const getServer = await cannon(server.url, token, { method: 'GET', paths: readableKeys.map((k) => `/v1/info/${k}`) })
    const getFloor = await inProcess((i) => manager.getMetadata(readableKeys[i % readableKeys.length], 'latest'))
    results.push(['GET /v1/info/<key> (latest, rotating over readable keys)', 'manager.getMetadata', getServer, getFloor])
    const findServer = await cannon(server.url, token, { method: 'POST', path: '/v1/find', body: JSON.stringify({ query: QUERY }) })
    const findFloor = await inProcess(() => manager.findAssets(QUERY))
    results.push([`POST /v1/find ${JSON.stringify(QUERY)} (${foundItems.length} rows)`, 'manager.findAssets', findServer, findFloor])
    await manager.close()

    console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
    const ms = (x) => `${x.toFixed(2)} ms`
    for (const [what, floorName, s, f] of results) {
      console.log(what)
      console.log(`  server:     p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, ${s.rps.toFixed(0)} req/s (${s.total} requests), errors ${s.errors}${s.errors === 0 ? '' : `  (goal 0: MISSED; status codes ${JSON.stringify(s.codes)})`}`)
      console.log(`  in-process: p50 ${ms(f.p50)}, p99 ${ms(f.p99)}, ${f.rps.toFixed(0)} calls/s (${f.total} calls), errors ${f.errors}   (${floorName}, the floor)`)
      console.log(`  ratio server / in-process: p50 ${(s.p50 / f.p50).toFixed(2)} ×, p99 ${(s.p99 / f.p99).toFixed(2)} ×, throughput ${(s.rps / f.rps).toFixed(2)} ×`)
    }
  } finally {
    if (server) await stopServer(server.proc)
    await dropDatabase()
    rmSync(home, { recursive: true, force: true })
  }
}

await main()
