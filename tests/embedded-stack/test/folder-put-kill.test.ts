import { createHash, randomBytes } from 'node:crypto'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'

// The command as users run it (apps/cli/dist/bin.js: build the CLI first), in a sandbox whose
// environment holds only PATH, HOME and ASSETS_HOME: the embedded default stack.
const BIN = fileURLToPath(new URL('../../../apps/cli/dist/bin.js', import.meta.url))

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

class Sandbox {
  private constructor(readonly root: string) {}

  static async create(name: string): Promise<Sandbox> {
    return new Sandbox(await mkdtemp(join(tmpdir(), `assets-${name}-`)))
  }

  path(...parts: string[]): string {
    return join(this.root, 'work', ...parts)
  }

  spawn(args: string[]): ChildProcess {
    const env = { PATH: process.env.PATH, HOME: this.root, ASSETS_HOME: join(this.root, 'assets-home'), LANG: 'C.UTF-8' }
    return spawn(process.execPath, [BIN, ...args], { cwd: this.root, env, stdio: ['ignore', 'pipe', 'pipe'] })
  }

  run(args: string[]): Promise<Run> {
    return collect(this.spawn(args))
  }

  async json<T>(args: string[]): Promise<T> {
    const result = await this.run([...args, '--json'])
    if (result.code !== 0) throw new Error(`assets ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
    return JSON.parse(result.stdout) as T
  }

  cleanup(): Promise<void> {
    return rm(this.root, { recursive: true, force: true })
  }
}

function collect(child: ChildProcess): Promise<Run> {
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout?.on('data', (b: Buffer) => out.push(b))
  child.stderr?.on('data', (b: Buffer) => err.push(b))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }))
  })
}

// A folder put of many files, killed with SIGKILL at random moments (seeded, so a failure can
// be replayed with the same FOLDER_KILL_SEED): whatever it left behind, every registered version
// has all its blobs, whole (`verify` re-hashes every byte), and the put run again succeeds.
const FILES = 1000
const TRIALS = 5
const seed = Number(process.env.FOLDER_KILL_SEED ?? 14)

let s: Sandbox
let source: string
let fullPutMs: number

/** mulberry32: a small seeded generator, so that the kill times are the same on every run. */
function random(state: number): () => number {
  let a = state >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function digestsOf(folder: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    out.set(relative(folder, path), createHash('sha256').update(await readFile(path)).digest('hex'))
  }
  return out
}

/** New bytes in every file, so that a put has every blob to write (none reused from before). */
async function refill(): Promise<void> {
  for (let i = 0; i < FILES; i++) {
    const folder = join(source, `d${i % 30}`)
    if (i < 30) await mkdir(folder, { recursive: true })
    await writeFile(join(folder, `f${i}.bin`), randomBytes(200 + ((i * 7919) % 3000)))
  }
}

beforeAll(async () => {
  s = await Sandbox.create('folder-kill')
  source = s.path('source')
  await refill()
  // How long an uninterrupted put takes here, so that the kills fall across all of it.
  const started = performance.now()
  const full = await s.run(['put', 'timing/folder', source, '--quiet'])
  expect(full.code, full.stderr).toBe(0)
  fullPutMs = performance.now() - started
}, 120_000)

afterAll(async () => {
  await s?.cleanup()
})

it('a folder put killed with SIGKILL at random moments never registers a version with a missing or partial blob, and its rerun succeeds', async () => {
  const next = random(seed)
  const outcomes: string[] = []
  for (let trial = 0; trial < TRIALS; trial++) {
    const key = `crash/folder-${trial}`
    // A put that ended before its kill is tried again, with new bytes, killed sooner.
    let killAfterMs = Math.round(30 + next() * fullPutMs)
    for (let attempt = 0; attempt < 4; attempt++) {
      await refill()
      const child = s.spawn(['put', key, source, '--quiet'])
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
      const result = await collect(child)
      clearTimeout(timer)
      outcomes.push(`${killAfterMs} ms: ${result.signal ?? `exit ${result.code}`}`)
      if (result.signal !== null) break
      expect(result.code, result.stderr).toBe(0)
      killAfterMs = Math.round(killAfterMs / 2)
    }

    // Whatever was registered (by this trial or before) is complete: verify re-hashes every blob.
    const verify = await s.run(['verify', '--json'])
    expect(verify.code, `${outcomes.join('; ')}\n${verify.stdout}${verify.stderr}`).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({ problems: [] })

    // The rerun succeeds, and what it registered is the folder, byte for byte.
    const rerun = await s.run(['put', key, source, '--quiet'])
    expect(rerun.code, rerun.stderr).toBe(0)
    const out = s.path(`out-${trial}`)
    const got = await s.run(['get', key, '--out', out, '--quiet'])
    expect(got.code, got.stderr).toBe(0)
    expect(await digestsOf(out)).toEqual(await digestsOf(source))
    const { versions } = await s.json<{ versions: Array<{ version: string }> }>(['versions', key])
    // Registered once at most by the killed run (killed after its commit point) and once by an
    // attempt that ended; the rerun of the same bytes changed nothing.
    expect(versions.length).toBeGreaterThanOrEqual(1)
    expect(versions.length).toBeLessThanOrEqual(5)
  }
  const after = await s.run(['verify', '--json'])
  expect(after.code, after.stderr).toBe(0)
  // The kills landed while a put was running (not all after it ended).
  expect(outcomes.filter((o) => o.endsWith('SIGKILL')).length, outcomes.join('; ')).toBeGreaterThanOrEqual(TRIALS - 1)
}, 600_000)
