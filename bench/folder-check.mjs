// A warm get of a cache entry of many files (a zarr store's chunks) with each of the local
// cache's `folderCheck` modes, against `find -printf` stating every file of the entry (GNU
// find: one lstat per file, no hashing), in the same run. `all` is what root gets by default:
// no mode stops root from writing through the returned path, so every file is looked at.
// BENCH_FILES (default 100 000, in 1 000 folders), BENCH_RUNS (default 5, median), BENCH_DIR
// (default /dev/shm when present, else the temporary folder). Reproduce: `pnpm build &&
// pnpm --filter @assets/bench folder-check`.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalCache } from '@assets/cache-local'

const FILES = Number(process.env.BENCH_FILES ?? 100_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const DIR = process.env.BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const root = mkdtempSync(join(DIR, 'assets-bench-folder-check-'))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

try {
  const setUp = createLocalCache({ path: join(root, 'cache') })
  const staging = setUp.stagingPath('zarr/store')
  const perFolder = Math.ceil(FILES / 1000)
  for (let i = 0; i < FILES; i++) {
    const folder = join(staging, `d${Math.floor(i / perFolder)}`)
    if (i % perFolder === 0) mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, `c${i}`), `chunk ${i}`)
  }
  const entry = await setUp.set('zarr/store', staging)
  await setUp.close()

  const times = { find: [], all: [], sample: [] }
  for (let run = 0; run < RUNS; run++) {
    let start = performance.now()
    const found = spawnSync('find', [entry, '-type', 'f', '-printf', '%s %T@ %i\n'], { maxBuffer: 1 << 28 })
    times.find.push(performance.now() - start)
    if (found.status !== 0) throw new Error(`find exited with ${found.status}`)
    for (const mode of ['all', 'sample']) {
      // A new instance each time, as a new `assets get` process opens its cache.
      const cache = createLocalCache({ path: join(root, 'cache'), folderCheck: mode })
      start = performance.now()
      const path = await cache.get('zarr/store')
      times[mode].push(performance.now() - start)
      await cache.close()
      if (path !== entry) throw new Error(`folderCheck ${mode}: the entry was not a hit`)
    }
  }
  const find = median(times.find)
  const show = (name, t) => console.log(`${name.padEnd(58)} ${t.toFixed(1).padStart(8)} ms  ${(t / find).toFixed(2)} x find`)
  console.log(`warm get of a folder entry of ${FILES} files in ${DIR}, median of ${RUNS} runs`)
  show('find -type f -printf (an lstat of every file)', find)
  show("cache.get, folderCheck: all (root's default)", median(times.all))
  show('cache.get, folderCheck: sample (64 files)', median(times.sample))
} finally {
  rmSync(root, { recursive: true, force: true })
}
