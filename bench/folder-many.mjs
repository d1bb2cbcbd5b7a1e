// A folder of many small files on the embedded default (local storage + local cache), with the
// built `assets` command, against its baselines measured in the same run (issue 14):
// - put             <= 2 × (`cp -r` + `sha256sum` of every file)
// - cold get        <= 2 × `cp -r`   (the cache fill)
// - get --out       <= 2 × `cp -r`   (a cold cache: straight from storage to the out folder)
// - verify          <= 2 × `sha256sum` of every file
// - peak RSS of each command <= 200 MB
// Usage: node bench/folder-many.mjs [--files N] [--dirs D] [--rounds R] [--dir PARENT] [--user NAME] [--keep]
//   default 100 000 files of 0.5–3.5 KiB in 1 000 subfolders, under the OS tmpdir (BENCH_DIR).
//   --user runs every command, baselines included, as that user (root only): a regular user's
//   cache takes hard links to the stored blobs (one copy on disk), root's copies them.
// Nothing is removed until the end (see aside below): on an ext4 without a journal a removal
// slows every file creation of the next minute. So a round needs room for eight copies of the
// folder (10⁵ files: ≈ 3 GiB on ext4; in RAM with --dir /dev/shm).
import { execFileSync, spawnSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? fallback : args[i + 1]
}
const files = Number(option('files', 100_000))
const dirs = Number(option('dirs', Math.max(1, Math.round(files / 100))))
const keep = args.includes('--keep')
const rounds = Number(option('rounds', 1))
const bin = fileURLToPath(new URL('../apps/cli/dist/bin.js', import.meta.url))
const root = mkdtempSync(join(option('dir', process.env.BENCH_DIR ?? tmpdir()), 'assets-folder-bench-'))
const env = { PATH: process.env.PATH, HOME: root, ASSETS_HOME: join(root, 'home'), ASSETS_USER: 'bench' }
const userName = option('user', undefined)
const as = userName === undefined ? {} : { uid: Number(execFileSync('id', ['-u', userName], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', userName], { encoding: 'utf8' })) }
if (userName !== undefined) chownSync(root, as.uid, as.gid)

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
  if (userName !== undefined) execFileSync('chown', ['-R', `${as.uid}:${as.gid}`, folder])
  return bytes
}

/**
 * Runs a command under /usr/bin/time -v: wall seconds and peak RSS in MB. A `sync` first, not
 * timed (but before the `sync -f` that measures what making `cp -r`'s copy durable costs):
 * otherwise each command pays for the writeback of the one before it (or of the last round's
 * removals), and `cp -r`, first in a round, took 3 to 17 s on the same disk.
 */
function timed(command, commandArgs, { syncFirst = true, ...options } = {}) {
  if (syncFirst) execFileSync('sync')
  const t = performance.now()
  const r = spawnSync('/usr/bin/time', ['-v', command, ...commandArgs], { env, cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, ...as, ...options })
  const seconds = (performance.now() - t) / 1000
  if (r.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} exited ${r.status}: ${r.stderr.slice(-4000)}`)
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024
  return { seconds, rss, stdout: r.stdout }
}
const sh = (script, options) => timed('sh', ['-c', script], options)
const warmSource = () => {
  // Both sides read from the page cache: the source is warmed once, before each side.
  execFileSync('sh', ['-c', `find ${source} -type f -print0 | xargs -0 cat > /dev/null`])
}

const source = join(root, 'source')
const trash = join(root, 'aside')
let asideCount = 0

/**
 * Moves `paths` out of the way (one rename each) instead of removing them: everything is removed
 * at the end. Why: on an ext4 without a journal (this VM's root filesystem) the inode allocator
 * skips every inode freed in the last minute (six while its table block is dirty), reading its
 * dtime for each file it creates (fs/ext4/ialloc.c, recently_deleted). After a removal of 10⁵
 * files, `cp -r` of the folder spent 21.5 s in the kernel instead of 4 (perf: ext4_create →
 * recently_deleted), and so did whichever command came next, ours or a baseline. A `sync` and a
 * drop of the caches helped only in part (13 % of a cold get's samples still there): the
 * allocator reads the table blocks back in as it creates files.
 */
function aside(...paths) {
  mkdirSync(trash, { recursive: true })
  for (const path of paths) {
    try {
      renameSync(path, join(trash, String(asideCount++)))
    } catch (error) {
      if (error.code !== 'ENOENT') throw error
    }
  }
}

/** `cp -r` of the source, timed, and its copy moved aside. */
const copyOfSource = () => {
  const r = sh(`cp -r ${source} ${join(root, 'cp-copy')}`)
  aside(join(root, 'cp-copy'))
  return r
}
/** `ours` and a `cp -r` one after the other, in an order that alternates by round: [ours, cp]. */
const beside = (ours, round) => {
  if (round % 2 === 0) {
    const r = ours()
    return [r, copyOfSource()]
  }
  const cp = copyOfSource()
  return [ours(), cp]
}
try {
  const bytes = makeFolder(source)
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), node ${process.version}; ${root}`)
  console.log(`folder: ${files} files, ${dirs} subfolders, ${(bytes / 2 ** 20).toFixed(0)} MiB`)
  execFileSync('sync')

  // Rounds alternate the baselines and ours, each on a fresh ASSETS_HOME, and the medians are
  // reported: on a shared machine the disk's speed moves by several times within minutes.
  const runs = []
  for (let round = 0; round < rounds; round++) {
    env.ASSETS_HOME = join(root, `home-${round}`)
    warmSource()
    const cp = sh(`cp -r ${source} ${join(root, 'cp-copy')}`)
    // What making that copy durable costs, as our put and cache fill do before they commit:
    // `cp -r` alone leaves the writeback (and its journal) to whatever runs next.
    const cpSync = sh(`sync -f ${join(root, 'cp-copy')}`, { syncFirst: false })
    const sha = sh(`find ${source} -type f -print0 | xargs -0 sha256sum > /dev/null`)
    aside(join(root, 'cp-copy'))
    warmSource()
    const put = timed(process.execPath, [bin, 'put', 'bench/folder', source, '--quiet'])
    // The cold get and the cold get --out each beside a `cp -r` of their own, before it in even
    // rounds and after it in odd ones: this VM's disk slows the more is written to it, so the
    // round's first `cp -r`, on a rested disk, is no fair baseline for a command run after the
    // put and the cache fill have written 2 × 10⁵ files.
    const [get, cpGet] = beside(() => timed(process.execPath, [bin, 'get', 'bench/folder', '--quiet']), round)
    const warm = timed(process.execPath, [bin, 'get', 'bench/folder', '--quiet'])
    const verify = timed(process.execPath, [bin, 'verify', 'bench/folder', '--quiet'])
    // get --out with a cold cache: the path a user without a filled cache takes.
    // The cache emptied by moving its folder aside (not `assets cache clear`, a removal).
    aside(join(env.ASSETS_HOME, 'cache'))
    const [out, cpOut] = beside(() => timed(process.execPath, [bin, 'get', 'bench/folder', '--out', join(root, `out-${round}`), '--quiet']), round)
    // And with the cache already filled: only the copy out. A cold get --out from local storage
    // leaves the cache empty (it copies straight from storage), so the cache is filled first.
    execFileSync(process.execPath, [bin, 'get', 'bench/folder', '--quiet'], { env, cwd: root, ...as })
    const outWarm = timed(process.execPath, [bin, 'get', 'bench/folder', '--out', join(root, `out-warm-${round}`), '--quiet'])
    runs.push({ cp, cpSync, sha, put, get, cpGet, warm, verify, out, cpOut, outWarm })
    aside(env.ASSETS_HOME, join(root, `out-${round}`), join(root, `out-warm-${round}`))
    console.log(`round ${round + 1}: ${Object.entries(runs.at(-1)).map(([k, v]) => `${k} ${v.seconds.toFixed(2)}`).join(', ')}`)
  }
  const median = (name) => {
    const xs = runs.map((r) => r[name]).sort((x, y) => x.seconds - y.seconds)
    return { seconds: xs[Math.floor(xs.length / 2)].seconds, rss: Math.max(...xs.map((x) => x.rss)) }
  }
  const [cp, cpSync, sha, put, get, warm, verify, out, outWarm] = ['cp', 'cpSync', 'sha', 'put', 'get', 'warm', 'verify', 'out', 'outWarm'].map(median)
  const baselinePut = cp.seconds + sha.seconds
  // The durable copy: `cp -r`, then `sync -f` of it (medians of each).
  const durable = cp.seconds + cpSync.seconds
  const row = (name, r, base, baseName, goal) => {
    const ratio = r.seconds / base
    const verdict = goal === undefined ? '' : ratio <= goal ? `  goal <= ${goal}: met` : `  goal <= ${goal}: MISSED`
    console.log(
      `${name.padEnd(22)} ${r.seconds.toFixed(2).padStart(7)} s  ${r.rss.toFixed(0).padStart(4)} MB RSS   vs ${baseName} ${base.toFixed(2)} s -> ×${ratio.toFixed(2)}${verdict}`,
    )
  }
  // Each command against the `cp -r` run beside it: the median of the rounds' ratios.
  const pairs = (name, ours, cpName, goal) => {
    const ratios = runs.map((r) => r[ours].seconds / r[cpName].seconds).sort((x, y) => x - y)
    const ratio = ratios[Math.floor(ratios.length / 2)]
    const each = runs.map((r) => `${r[ours].seconds.toFixed(2)}/${r[cpName].seconds.toFixed(2)}`).join(', ')
    console.log(`${name.padEnd(22)} vs its own cp -r, by round (ours/cp): ${each} -> median ×${ratio.toFixed(2)}  goal <= ${goal}: ${ratio <= goal ? 'met' : 'MISSED'}`)
  }
  console.log(
    `${userName === undefined ? '' : `as ${userName}; `}medians of ${rounds} round(s); baselines: cp -r ${cp.seconds.toFixed(2)} s, then sync -f of the copy ${cpSync.seconds.toFixed(2)} s, sha256sum of every file ${sha.seconds.toFixed(2)} s`,
  )
  row('put', put, baselinePut, 'cp -r + sha256sum', 2)
  row('put', put, durable + sha.seconds, 'cp -r + sync -f + sha256sum')
  row('get (cold, cache fill)', get, cp.seconds, 'cp -r', 2)
  row('get (cold, cache fill)', get, durable, 'cp -r + sync -f')
  pairs('get (cold, cache fill)', 'get', 'cpGet', 2)
  row('get (warm)', warm, cp.seconds, 'cp -r')
  row('get --out (cold cache)', out, cp.seconds, 'cp -r', 2)
  pairs('get --out (cold cache)', 'out', 'cpOut', 2)
  row('get --out (warm cache)', outWarm, cp.seconds, 'cp -r', 2)
  row('verify', verify, sha.seconds, 'sha256sum', 2)
  const peak = Math.max(put.rss, get.rss, out.rss, outWarm.rss, verify.rss)
  console.log(`peak RSS ${peak.toFixed(0)} MB ${peak <= 200 ? '(goal <= 200 MB: met)' : '(goal <= 200 MB: MISSED)'}`)
  writeFileSync(join(root, 'result.json'), JSON.stringify({ files, dirs, bytes, runs }))
} finally {
  if (keep) console.log(`kept ${root}`)
  else rmSync(root, { recursive: true, force: true })
}
