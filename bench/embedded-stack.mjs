// The embedded default stack against its baselines, measured in the same run:
// - put of a 1 GiB file vs `cp` + `sha256sum` of the same file (goal ratio <= 1.0);
// - a warm `get` (goal under 5 ms whatever the size), cold get for scale;
// - peak RSS of put, get and stream of a 4 GiB file (goal <= 150 MB each).
// Sizes: BENCH_PUT_MIB (default 1024), BENCH_RSS_MIB (default 4096); folder: BENCH_DIR (default os tmpdir).
import { execFileSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const putMiB = Number(process.env.BENCH_PUT_MIB ?? 1024)
const rssMiB = Number(process.env.BENCH_RSS_MIB ?? 4096)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'assets-bench-'))
const child = fileURLToPath(new URL('./embedded-child.mjs', import.meta.url))

function makeFile(path, mib) {
  const block = Buffer.alloc(16 << 20)
  const fd = openSync(path, 'w')
  for (let i = 0; i < mib / 16; i++) {
    randomFillSync(block, 0, 4096) // vary every block so no two are alike
    if (i === 0) randomFillSync(block)
    writeSync(fd, block)
  }
  closeSync(fd)
}

const run = (args) => JSON.parse(execFileSync(process.execPath, [child, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 }))
const seconds = (fn) => {
  const t = performance.now()
  fn()
  return (performance.now() - t) / 1000
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

try {
  console.log(`machine: ${(await import('node:os')).cpus().length} cores, node ${process.version}; folder ${root}`)
  const src = join(root, 'source.bin')
  makeFile(src, putMiB)
  execFileSync('cat', [src], { stdio: ['ignore', 'ignore', 'inherit'] }) // same warm page cache for both sides

  const base = []
  const ours = []
  let rss = 0
  for (let i = 0; i < rounds; i++) {
    const copy = join(root, `copy-${i}.bin`)
    base.push(seconds(() => {
      execFileSync('cp', [src, copy])
      execFileSync('sha256sum', [src], { stdio: ['ignore', 'ignore', 'inherit'] })
    }))
    rmSync(copy)
    const home = join(root, `put-${i}`)
    const r = run(['put', home, src])
    ours.push(r.ms / 1000)
    rss = Math.max(rss, r.maxRssMB)
    rmSync(home, { recursive: true, force: true })
  }
  const b = median(base)
  const o = median(ours)
  console.log(`put ${putMiB} MiB: ${o.toFixed(2)} s vs cp+sha256sum ${b.toFixed(2)} s -> ratio ${(o / b).toFixed(2)} (goal <= 1.0); peak RSS ${rss.toFixed(0)} MB`)

  const home = join(root, 'get')
  run(['put', home, src])
  const g = run(['get', home, '200'])
  console.log(`get ${putMiB} MiB: cold ${g.coldMs.toFixed(0)} ms; warm p50 ${g.warmP50.toFixed(2)} ms, p95 ${g.warmP95.toFixed(2)} ms (goal < 5 ms)`)
  rmSync(home, { recursive: true, force: true })
  rmSync(src)

  const big = join(root, 'big.bin')
  makeFile(big, rssMiB)
  const bigHome = join(root, 'big')
  const p = run(['put', bigHome, big])
  rmSync(big)
  const s = run(['stream', bigHome])
  const cold = run(['get', bigHome, '20'])
  console.log(`${rssMiB} MiB peak RSS: put ${p.maxRssMB.toFixed(0)} MB, stream ${s.maxRssMB.toFixed(0)} MB, get ${cold.maxRssMB.toFixed(0)} MB (goal <= 150 MB); warm get p50 ${cold.warmP50.toFixed(2)} ms`)
} finally {
  rmSync(root, { recursive: true, force: true })
}
