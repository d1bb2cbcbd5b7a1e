// Whole-process start-up of the `assets` command against the floor of `node -e 0`, measured in
// the same run and interleaved round by round, so machine noise hits every side alike:
// - `assets --help`: the dispatcher alone (no command module, no @assets/core);
// - a warm `assets get` of a small asset already in the cache: config, plugins, one registry
//   look-up and one cache hit — the whole cost of using the CLI from a script.
// Goal: both well under 500 ms. Rounds: BENCH_RUNS (default 20); the median is reported.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const runs = Number(process.env.BENCH_RUNS ?? 20)
const bin = fileURLToPath(new URL('../apps/cli/dist/bin.js', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'assets-cli-bench-'))
// Only PATH from the caller: no CONFIG_PATH or STORAGE_TYPE may turn the embedded default into a server.
const env = { PATH: process.env.PATH, HOME: root, ASSETS_HOME: join(root, 'home') }

function run(args) {
  const t = performance.now()
  const r = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8' })
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

try {
  writeFileSync(join(root, 'small.csv'), 'cell,gene_a,gene_b\nc1,1,0\nc2,3,4\n')
  run([bin, 'put', 'bench/small', join(root, 'small.csv'), '--quiet'])
  run([bin, 'get', 'bench/small']) // fills the cache: every get below is warm

  const cases = {
    'node -e 0 (floor)': ['-e', '0'],
    'assets --help': [bin, '--help'],
    'assets get (warm)': [bin, 'get', 'bench/small'],
  }
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
  for (const args of Object.values(cases)) run(args) // one untimed round: disk and page cache warm
  for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(cases)) times[name].push(run(args))

  console.log(`machine: ${cpus().length} cores, node ${process.version}; ${runs} runs each, median`)
  const floor = median(times['node -e 0 (floor)'])
  for (const [name, xs] of Object.entries(times)) {
    const m = median(xs)
    const verdict = name.startsWith('node') ? '' : m < 500 ? '  goal < 500 ms: met' : '  goal < 500 ms: MISSED'
    console.log(`${name.padEnd(20)} ${m.toFixed(0).padStart(5)} ms   ×${(m / floor).toFixed(1)} the floor${verdict}`)
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}
