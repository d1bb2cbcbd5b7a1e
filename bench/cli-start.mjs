// Whole-process start-up of the `assets` command against the floor of `node -e 0`, measured in
// the same run and interleaved round by round, so machine noise hits every side alike:
// - `assets --help`: the dispatcher alone (no command module, no @assets/core);
// - a warm `assets get` of a small asset already in the cache: config, plugins, one registry
//   look-up and one cache hit — the whole cost of using the CLI from a script.
// With `--node24`, the same on Node 24 (a checkout of HEAD built with it, see checkout-tree.mjs)
// side by side with the Node running this script, each against its own `node -e 0`. With
// `--against REV`, the working tree's command side by side with a build of revision REV.
// Goal: both well under 500 ms. Rounds: BENCH_RUNS (default 20); the median is reported.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkoutTree, node24Tree } from './checkout-tree.mjs'

const runs = Number(process.env.BENCH_RUNS ?? 20)
const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const sides = [{ node: process.execPath, label: `node ${process.version}`, bin: join(repoRoot, 'apps', 'cli', 'dist', 'bin.js') }]
if (process.argv.includes('--node24')) sides.push(node24Tree(repoRoot))
const against = process.argv.indexOf('--against')
if (against !== -1) {
  const rev = process.argv[against + 1]
  if (rev === undefined) throw new Error('--against needs a git revision')
  const { bin, commit } = checkoutTree(repoRoot, { name: 'against', rev })
  sides[0].label += ', working tree'
  sides.push({ node: process.execPath, label: `node ${process.version}, ${rev} (${commit.slice(0, 10)})`, bin })
}

const root = mkdtempSync(join(tmpdir(), 'assets-cli-bench-'))

function run(side, args) {
  // Only PATH from the caller: no CONFIG_PATH or STORAGE_TYPE may turn the embedded default into a
  // server. Each side has its own ASSETS_HOME (the registry is the same format, but a warm cache
  // per side keeps the sides independent).
  const env = { PATH: process.env.PATH, HOME: root, ASSETS_HOME: join(root, `home-${sides.indexOf(side)}`) }
  const t = performance.now()
  const r = spawnSync(side.node, args, { cwd: root, env, encoding: 'utf8' })
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`${side.label}: ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

try {
  writeFileSync(join(root, 'small.csv'), 'cell,gene_a,gene_b\nc1,1,0\nc2,3,4\n')
  const cases = []
  for (const side of sides) {
    run(side, [side.bin, 'put', 'bench/small', join(root, 'small.csv'), '--quiet'])
    run(side, [side.bin, 'get', 'bench/small']) // fills the cache: every get below is warm
    cases.push(
      { side, name: 'node -e 0 (floor)', args: ['-e', '0'] },
      { side, name: 'assets --help', args: [side.bin, '--help'] },
      { side, name: 'assets get (warm)', args: [side.bin, 'get', 'bench/small'] },
    )
  }
  const times = cases.map(() => [])
  for (const c of cases) run(c.side, c.args) // one untimed round: disk and page cache warm
  for (let i = 0; i < runs; i++) {
    cases.forEach((c, j) => {
      times[j].push(run(c.side, c.args))
    })
  }

  console.log(`machine: ${cpus().length} cores; ${runs} runs each, median, interleaved`)
  for (const side of sides) {
    console.log(`\n${side.label}`)
    const floor = median(times[cases.findIndex((c) => c.side === side && c.name.startsWith('node'))])
    cases.forEach((c, j) => {
      if (c.side !== side) return
      const m = median(times[j])
      const verdict = c.name.startsWith('node') ? '' : m < 500 ? '  goal < 500 ms: met' : '  goal < 500 ms: MISSED'
      console.log(`${c.name.padEnd(20)} ${m.toFixed(0).padStart(5)} ms   ×${(m / floor).toFixed(1)} the floor${verdict}`)
    })
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}
