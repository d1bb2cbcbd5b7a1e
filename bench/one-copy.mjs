// One copy on the embedded default, with the built `assets` command: the bytes on disk after
// `put` + `get` of a 1 GiB file (du of ASSETS_HOME, each inode once, as du counts), and the
// time of the first `get` after the `put` — whole process, and the manager's own get() in a
// process of its own (what the command spends beyond loading its modules). Baselines in the
// same run: `cp` of the file (its time and the bytes it adds), `node -e 0`, and a warm `get`.
// Sides: a regular user with the defaults (the laptop case; run as `nobody` when this runs as
// root), root with the defaults (the mode cannot stop root, so the cache keeps a copy), and
// root with `cache: {hardlinks: always}`.
// Size: BENCH_MIB (default 1024); first gets per side: BENCH_ROUNDS (default 3, the median is
// reported); folder: BENCH_DIR (default os tmpdir).
import { execFileSync, spawnSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { chmodSync, chownSync, closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const mib = Number(process.env.BENCH_MIB ?? 1024)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'assets-one-copy-'))
chmodSync(root, 0o755)
const repo = fileURLToPath(new URL('..', import.meta.url))
const bin = join(repo, 'apps', 'cli', 'dist', 'bin.js')
const asRoot = process.geteuid?.() === 0
const NOBODY = 65534

function makeFile(path) {
  const block = Buffer.alloc(16 << 20)
  const fd = openSync(path, 'w')
  for (let i = 0; i < mib / 16; i++) {
    randomFillSync(block, 0, 4096) // vary every block so no two are alike
    if (i === 0) randomFillSync(block)
    writeSync(fd, block)
  }
  closeSync(fd)
}

function run(side, args, extraEnv = {}) {
  const env = { PATH: process.env.PATH, HOME: side.home, ASSETS_HOME: side.home, ...side.env, ...extraEnv }
  const user = side.user === undefined ? {} : { uid: side.user, gid: side.user }
  const t = performance.now()
  const r = spawnSync(process.execPath, args, { cwd: side.home, env, encoding: 'utf8', maxBuffer: 1 << 20, ...user })
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`${side.label}: ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return { ms, stdout: r.stdout }
}

/** Bytes on disk under `path`, each inode once (du's rule for hard links; du cannot see reflinks' shared blocks). */
const du = (path) => Number(execFileSync('du', ['-s', '-B1', path], { encoding: 'utf8' }).split('\t')[0])
/** Bytes the filesystem holding `path` has in use: exact for reflinks too, but anything else writing there counts. */
const used = (path) => {
  const s = statfsSync(path)
  return (s.blocks - s.bfree) * s.bsize
}
const gib = (bytes) => `${(bytes / 2 ** 30).toFixed(2)} GiB`

const timedGet = fileURLToPath(new URL('./one-copy-get.mjs', import.meta.url))

try {
  console.log(`machine: ${cpus().length} cores, node ${process.version}; ${mib} MiB file in ${root}; ${execFileSync('stat', ['-f', '-c', '%T', root], { encoding: 'utf8' }).trim()}`)
  const src = join(root, 'source.bin')
  makeFile(src)
  chmodSync(src, 0o644)
  execFileSync('cat', [src], { stdio: ['ignore', 'ignore', 'inherit'] }) // warm page cache for every side

  const copy = join(root, 'cp-copy.bin')
  const before = du(root)
  const t = performance.now()
  execFileSync('cp', [src, copy])
  const cpMs = performance.now() - t
  const cpBytes = du(root) - before
  rmSync(copy)
  console.log(`baseline cp of the file: ${(cpMs / 1000).toFixed(2)} s, adds ${gib(cpBytes)} on disk`)

  const sides = [
    { label: asRoot ? 'regular user (nobody), defaults' : 'this user, defaults', user: asRoot ? NOBODY : undefined, env: {} },
    ...(asRoot
      ? [
          { label: 'root, defaults', env: {} },
          { label: 'root, cache hardlinks: always', env: {}, config: 'cache:\n  hardlinks: always\n' },
        ]
      : []),
  ]
  for (const [i, side] of sides.entries()) {
    side.home = join(root, `home-${i}`)
    execFileSync('mkdir', [side.home])
    if (side.config) {
      writeFileSync(join(side.home, 'config.yaml'), side.config)
      side.env.CONFIG_PATH = join(side.home, 'config.yaml')
    }
    if (side.user !== undefined) chownSync(side.home, side.user, side.user)
    const floor = run(side, ['-e', '0']).ms
    const usedBefore = used(root)
    const put = run(side, [bin, 'put', 'bench/one-copy', src, '--quiet']).ms
    const firstGets = [JSON.parse(run(side, [timedGet, 'bench/one-copy']).stdout)]
    const onDisk = du(side.home)
    const grew = used(root) - usedBefore
    const warm = run(side, [bin, 'get', 'bench/one-copy']).ms
    // More first gets, each after a put of new bytes (the source's first block changed), for a median.
    for (let round = 1; round < rounds; round++) {
      const fd = openSync(src, 'r+')
      writeSync(fd, randomFillSync(Buffer.alloc(4096)), 0, 4096, 0)
      closeSync(fd)
      run(side, [bin, 'put', `bench/one-copy-${round}`, src, '--quiet'])
      firstGets.push(JSON.parse(run(side, [timedGet, `bench/one-copy-${round}`]).stdout))
    }
    const firstGetMs = median(firstGets.map((g) => g.ms))
    const hits = firstGets.filter((g) => g.hit).length
    console.log(
      `${side.label}: put ${(put / 1000).toFixed(2)} s; on disk after put + get ${gib(onDisk)} (${(onDisk / cpBytes).toFixed(2)} × the file; goal ≈ 1; the filesystem's use grew ${gib(grew)}); ` +
        `first get after put ${firstGetMs.toFixed(1)} ms in the manager (median of ${firstGets.map((g) => g.ms.toFixed(1)).join(', ')}; ${hits} of ${firstGets.length} were cache hits; goal < 50 ms); a warm \`assets get\` ${warm.toFixed(0)} ms whole process (node -e 0: ${floor.toFixed(0)} ms)`,
    )
    rmSync(side.home, { recursive: true, force: true })
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}
