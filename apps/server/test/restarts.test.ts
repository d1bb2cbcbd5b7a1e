import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { AssetConfig, blobLocation, createAssetManager, mintApiToken } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyOf, digestOf, JSON_HEADERS } from './fixtures/content.js'
import { PrivatePostgres } from './fixtures/private-postgres.js'
import { PrivateRedis } from './fixtures/private-redis.js'
import { killServers, type ServerProcess, spawnServer, stackEnv } from './fixtures/server-process.js'
import { isSuccess, type Outcome, SteadyLoad } from './fixtures/steady-load.js'

// A backend restarting under load (issue 15): the server stays up, answers every request
// during the outage with a clean 503 (or, for the cache, without it: from the registry), comes
// back by itself, and leaves nothing half-registered or stale. The backends are the test's own: restarting the
// machine's shared PostgreSQL or Redis would break everyone else's work.
let pg: PrivatePostgres
const redisServers: PrivateRedis[] = []
const loads: SteadyLoad[] = []

beforeAll(async () => {
  pg = await PrivatePostgres.start()
}, 60_000)

afterAll(async () => {
  // A test that failed half-way may have left its load running.
  await Promise.all(loads.map((load) => load.stop()))
  killServers()
  await Promise.all(redisServers.map((redis) => redis.kill()))
  await pg?.destroy()
}, 60_000)

// No request may wait longer than this, outage or not: a hang is a failure.
const REQUEST_LIMIT_MS = 8000
// After the backend is back, every request started this long after must succeed.
const RECOVERY_MS = 2000
// Redis is used again this soon after it is back (the client retries at least once a second).
const REDIS_BACK_MS = 3000
const UNAVAILABLE = { error: { code: 'BACKEND_UNAVAILABLE', message: 'a backend of the server is unavailable; try again later' } }

/** A stack on the private PostgreSQL, in a schema of its own, with the Redis cache when given. */
async function stackOn(redisUrl?: string) {
  const home = await temporaryFolder('server-restarts')
  const schema = `srv_restarts_${randomBytes(6).toString('hex')}`
  const configPath = join(home, 'config.yaml')
  // A shared registry makes no OS user an admin: the operator is named in the config.
  const config = `registry:\n  type: postgres\n  host: 127.0.0.1\n  port: ${pg.port}\n  database: postgres\n  user: postgres\n  schema: ${schema}\nidentity:\n  user: ops\n  roles: [admin]\n`
  await writeFile(configPath, config)
  const tokens = await mintTokens(home, configPath)
  if (redisUrl) await writeFile(configPath, `${config}cache:\n  type: redis\n  url: ${redisUrl}\n`)
  const env = stackEnv(home, configPath)
  return { env, tokens, server: await spawnServer(env) }
}

// The registry plugin is this test package's dependency: imported from here, as an application would.
const importer = (specifier: string) => import(specifier)

/** Tokens for an admin and for alice, written to the registry in this process (a CLI process per token costs seconds). */
async function mintTokens(home: string, configPath: string): Promise<{ admin: string; alice: string }> {
  const config = AssetConfig.load({ env: { ASSETS_HOME: home, CONFIG_PATH: configPath }, cwd: home })
  const manager = await createAssetManager(config, { importer, actor: { user: 'ops', roles: ['admin'] } })
  try {
    const mint = async (user: string, roles: string[]) => {
      const minted = mintApiToken()
      await manager.registry.tokens?.createToken({ id: minted.id, hash: minted.hash, user, groups: [], roles }, { actor: 'user:ops' })
      return minted.token
    }
    return { admin: await mint('admin', ['admin']), alice: await mint('alice', []) }
  } finally {
    await manager.close()
  }
}

function client(url: string, token: string) {
  return (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) } })
}
type Client = ReturnType<typeof client>

const uploadRequest = (bytes: Buffer): RequestInit => ({ method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } })
const registerRequest = (bytes: Buffer): RequestInit => ({
  method: 'POST',
  headers: JSON_HEADERS,
  body: JSON.stringify({ content: { type: 'file', digest: digestOf(bytes), size: bytes.length, fileCount: 1, location: blobLocation(digestOf(bytes)) }, options: { fileName: 'x.bin' } }),
})

/** Uploads and registers `bytes` at `key` outside any load: throws unless it was created. */
async function seed(call: Client, key: string, bytes: Buffer): Promise<void> {
  expect((await call(`/v1/blobs/${blobLocation(digestOf(bytes))}`, uploadRequest(bytes))).status).toBe(201)
  expect((await call(`/v1/register/${key}`, registerRequest(bytes))).status).toBe(201)
}

interface Registered {
  key: string
  digest: string
  outcome: Outcome
}

/**
 * The load: readers of a seeded version (info, content, find), and writers that each upload and
 * register new versions of a key of their own, then read it back (a register that returned
 * must be what `latest` is).
 */
function startLoad(call: Client, options: { readers: number; writers: number }) {
  const load = new SteadyLoad(REQUEST_LIMIT_MS)
  loads.push(load)
  const registered: Registered[] = []
  const stale: string[] = []
  const reads = [
    () => load.request('info', (signal) => call('/v1/info/load/seed', { signal })),
    () => load.request('content', (signal) => call('/v1/content/load/seed', { signal })),
    () => load.request('find', (signal) => call('/v1/find', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ query: { keyPrefix: 'load/' } }), signal })),
  ]
  for (let r = 0; r < options.readers; r++) {
    let turn = r
    load.loop(async () => {
      await (reads[turn++ % reads.length] as (typeof reads)[number])()
    })
  }
  for (let w = 0; w < options.writers; w++) {
    const key = `load/writer-${w}`
    load.loop(async () => {
      const bytes = randomBytes(16 * 1024)
      const uploaded = await load.request('upload', (signal) => call(`/v1/blobs/${blobLocation(digestOf(bytes))}`, { ...uploadRequest(bytes), signal }))
      if (uploaded.status !== 201) return
      const outcome = await load.request('register', (signal) => call(`/v1/register/${key}`, { ...registerRequest(bytes), signal }))
      registered.push({ key, digest: digestOf(bytes), outcome })
      if (outcome.status !== 201) return
      const version = (JSON.parse(outcome.body) as { record: { version: string } }).record.version
      const latest = await load.request('latest', (signal) => call(`/v1/info/${key}`, { signal }))
      if (isSuccess(latest) && (JSON.parse(latest.body) as { version: string }).version !== version) stale.push(`${key}: registered ${version}, latest said ${latest.body}`)
    })
  }
  return { load, registered, stale }
}

const describeOutcome = (o: Outcome) => `${o.what} at ${o.at} ms: ${o.status} after ${o.ms} ms: ${o.body.slice(0, 300)}`

/** Outcomes that are neither a success nor our clean 503 (no stack, no driver message, no hang). */
function unclean(outcomes: Outcome[]): string[] {
  return outcomes
    .filter((o) => !isSuccess(o) && !(o.status === 503 && isUnavailableBody(o.body)))
    .map(describeOutcome)
}

function isUnavailableBody(body: string): boolean {
  try {
    return JSON.stringify(JSON.parse(body)) === JSON.stringify(UNAVAILABLE)
  } catch {
    return false
  }
}

/**
 * Nothing half-registered: every version of the writers' keys is readable and whole, each one
 * whose register returned 201 is among them, and a deep verify through the server is clean.
 */
async function expectWholeCatalogue(call: Client, admin: Client, registered: Registered[]): Promise<void> {
  for (const key of new Set(registered.map((r) => r.key))) {
    const versions = (await bodyOf(await call(`/v1/versions/${key}`))) as Array<{ version: string; digest: string }>
    const listed = new Set(versions.map((v) => v.digest))
    for (const r of registered.filter((x) => x.key === key && x.outcome.status === 201)) expect(listed.has(r.digest), `${key} lost ${r.digest}`).toBe(true)
    for (const v of versions) {
      const content = await call(`/v1/content/${key}?ref=${v.version}`)
      expect(content.status).toBe(200)
      expect(digestOf(Buffer.from(await content.arrayBuffer()))).toBe(v.digest)
    }
  }
  const verify = await admin('/v1/verify', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ deep: true }) })
  expect(verify.status).toBe(200)
  const report = (await bodyOf(verify)) as { checked: number; ok: number; problems: unknown[] }
  expect(report.problems).toEqual([])
  expect(report.ok).toBe(report.checked)
}

/** The server process is still the one started, answers, and still shuts down cleanly. */
async function expectAliveThenStop(server: ServerProcess): Promise<void> {
  expect(server.child.exitCode).toBeNull()
  expect(server.child.signalCode).toBeNull()
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
  server.child.kill('SIGTERM')
  expect(await server.exited).toBe(0)
}

describe('backends restarting under load', () => {
  it('PostgreSQL stopped, started, then restarted at once: clean 503s meanwhile, back by itself, nothing half-registered', async () => {
    const { tokens, server } = await stackOn()
    const call = client(server.url, tokens.alice)
    await seed(call, 'load/seed', randomBytes(64 * 1024))
    const { load, registered, stale } = startLoad(call, { readers: 6, writers: 2 })

    await sleep(1000)
    const down = load.now()
    await pg.stop('fast')
    await sleep(1000)
    await pg.start()
    const back = load.now()
    await sleep(RECOVERY_MS + 1500)
    // An operator's restart: the pool's connections all die while the server is back at once.
    const restarting = load.now()
    await pg.restart()
    const restarted = load.now()
    await sleep(RECOVERY_MS + 1500)
    await load.stop()

    const { outcomes } = load
    expect(unclean(outcomes)).toEqual([])
    expect(stale).toEqual([])
    // The outage was seen (as 503s), and nothing failed before it.
    expect(outcomes.filter((o) => o.status === 503 && o.at >= down && o.at < back).length).toBeGreaterThan(0)
    expect(outcomes.filter((o) => !isSuccess(o) && o.at + o.ms < down)).toEqual([])
    // Back without a server restart: every request started a little after PostgreSQL returned succeeded, reads and writes.
    for (const [from, to] of [
      [back + RECOVERY_MS, restarting],
      [restarted + RECOVERY_MS, Number.POSITIVE_INFINITY],
    ] as const) {
      // A request still running when the next restart began may fail by it.
      const after = outcomes.filter((o) => o.at >= from && o.at + o.ms < to)
      expect(after.filter((o) => !isSuccess(o)).map(describeOutcome)).toEqual([])
      expect(after.filter((o) => o.what === 'register').length).toBeGreaterThan(0)
      expect(after.filter((o) => o.what === 'info').length).toBeGreaterThan(5)
    }
    const firstBack = outcomes.find((o) => o.at >= back && isSuccess(o) && o.what !== 'upload')
    const failed = (from: number, to: number) => outcomes.filter((o) => !isSuccess(o) && o.at >= from && o.at < to).length
    console.log(
      `postgres restarts: ${outcomes.length} requests, slowest ${Math.max(...outcomes.map((o) => o.ms))} ms; ` +
        `stop/start: ${failed(down, back + RECOVERY_MS)} answered 503 over an outage of ${back - down} ms, first registry-backed success ${firstBack ? firstBack.at - back : 'none'} ms after PostgreSQL was back; ` +
        `restart (${restarted - restarting} ms): ${failed(restarting, restarted + RECOVERY_MS)} answered 503`,
    )

    // A quiet server's pooled connections died in a crash of PostgreSQL: its next requests find new ones.
    await pg.stop('immediate')
    await pg.start()
    expect((await call('/v1/info/load/seed')).status).toBe(200)
    const quiet = randomBytes(1024)
    expect((await call(`/v1/blobs/${blobLocation(digestOf(quiet))}`, uploadRequest(quiet))).status).toBe(201)
    const quietRegister = await call('/v1/register/load/writer-0', registerRequest(quiet))
    expect(quietRegister.status).toBe(201)
    registered.push({ key: 'load/writer-0', digest: digestOf(quiet), outcome: { what: 'register', at: 0, ms: 0, status: 201, body: '' } })

    await expectWholeCatalogue(call, client(server.url, tokens.admin), registered)
    await expectAliveThenStop(server)
  }, 60_000)

  it('Redis killed and started again: every request still served (from the registry), the shared tier used again after', async () => {
    const redis = await PrivateRedis.start()
    redisServers.push(redis)
    const { tokens, server } = await stackOn(redis.url)
    const call = client(server.url, tokens.alice)
    await seed(call, 'load/seed', randomBytes(64 * 1024))
    const { load, registered, stale } = startLoad(call, { readers: 6, writers: 2 })

    await sleep(1000)
    // The server's look-ups went through Redis before it died.
    expect(Number((await redis.command('DBSIZE')).slice(1))).toBeGreaterThan(0)
    const down = load.now()
    await redis.kill()
    await sleep(1000)
    await redis.start()
    const back = load.now()
    // Redis came back empty: the server fills it again once it has reconnected.
    let refilledAfter: number | undefined
    while (refilledAfter === undefined && load.now() < back + REDIS_BACK_MS) {
      if (Number((await redis.command('DBSIZE')).slice(1)) > 0) refilledAfter = load.now() - back
      else await sleep(50)
    }
    // And the load goes on against the refilled Redis for a while.
    await sleep(1000)
    await load.stop()

    const { outcomes } = load
    // The cache is a cache: losing it costs no request, not even a 503.
    expect(outcomes.filter((o) => !isSuccess(o)).map(describeOutcome)).toEqual([])
    expect(stale).toEqual([])
    expect(outcomes.filter((o) => o.at >= down && o.at < back).length).toBeGreaterThan(10)
    expect(refilledAfter).toBeDefined()
    expect(refilledAfter).toBeLessThan(REDIS_BACK_MS)
    console.log(
      `redis restart: ${outcomes.length} requests, none failed, slowest ${Math.max(...outcomes.map((o) => o.ms))} ms; ` +
        `outage ${back - down} ms, Redis in use again ${refilledAfter} ms after it was back`,
    )

    await expectWholeCatalogue(call, client(server.url, tokens.admin), registered)
    await expectAliveThenStop(server)
  }, 60_000)
})
