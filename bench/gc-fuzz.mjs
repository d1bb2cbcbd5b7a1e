// The SIGKILL and gc fuzz (issue 13): puts of files and folders, of new and of reused content,
// and `gc --grace 0` runs, started side by side at random and many killed with SIGKILL at a
// random moment, for a few minutes on the embedded default stack. Then `verify` must be clean:
// every registered version still has all of its bytes, whatever the interleaving.
//   node gc-fuzz.mjs [--minutes 3] [--workers 4] [--seed N]
// Not a timed test: it reports trials and the verdict, and exits 1 on any problem.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { openStack } from './stack.mjs'

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '3' }, workers: { type: 'string', default: '4' }, seed: { type: 'string' } } })
const minutes = Number(values.minutes)
const workers = Number(values.workers)
let seed = Number(values.seed ?? Date.now() % 2 ** 31)
const firstSeed = seed
// A small deterministic generator, so that a failing run can be replayed with --seed.
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}
const pick = (list) => list[Math.floor(random() * list.length)]

const child = fileURLToPath(new URL('./gc-fuzz-child.mjs', import.meta.url))
const home = await mkdtemp(join(tmpdir(), 'assets-gc-fuzz-'))
const sources = join(home, 'sources')

// A pool of contents that puts share, so that most puts reuse blobs a killed put or an
// earlier version left behind (the orphans gc goes after), and a few large enough that a
// kill lands in the middle of an upload.
const blobs = [...Array.from({ length: 6 }, () => randomBytes(2000)), randomBytes(4 << 20), randomBytes(12 << 20)]
const files = []
for (const [i, bytes] of blobs.entries()) {
  const path = join(sources, `file-${i}.bin`)
  await mkdir(sources, { recursive: true })
  await writeFile(path, bytes)
  files.push(path)
}
const folders = []
for (let i = 0; i < 6; i++) {
  const path = join(sources, `folder-${i}`)
  await mkdir(path, { recursive: true })
  for (let j = 0; j < 4; j++) await writeFile(join(path, `part-${j}.bin`), pick(blobs))
  folders.push(path)
}

const counts = { puts: 0, gcs: 0, killed: 0, putsDone: 0, gcsDone: 0, failed: 0 }
const failures = []
function run(args) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    p.stderr.on('data', (d) => {
      stderr += d
    })
    if (random() < 0.5) {
      setTimeout(() => p.kill('SIGKILL'), Math.floor(random() * 600))
    }
    p.on('close', (code, signal) => resolve({ code, signal, stderr }))
  })
}

async function worker() {
  const deadline = Date.now() + minutes * 60_000
  while (Date.now() < deadline) {
    const gc = random() < 0.3
    const args = gc ? ['gc', home] : ['put', home, `fuzz/${Math.floor(random() * 12)}`, random() < 0.5 ? pick(files) : pick(folders)]
    counts[gc ? 'gcs' : 'puts']++
    const result = await run(args)
    if (result.signal === 'SIGKILL') counts.killed++
    else if (result.code === 0) counts[gc ? 'gcsDone' : 'putsDone']++
    else {
      counts.failed++
      failures.push(`${args.join(' ')}: ${result.stderr.trim().split('\n').filter((l) => /Error|code/.test(l)).slice(0, 3).join(' | ')}`)
    }
  }
}

const started = Date.now()
await Promise.all(Array.from({ length: workers }, worker))
const manager = openStack(home).as({ user: 'fuzz', roles: ['admin'] })
const report = await manager.verify()
const versions = report.checked
await manager.gc({ graceSeconds: 0 })
const after = await manager.verify()
await manager.close()
const trials = counts.puts + counts.gcs
console.log(
  JSON.stringify({ seed: firstSeed, minutes: Math.round((Date.now() - started) / 600) / 100, workers, trials, ...counts, versions, problems: report.problems.length, problemsAfterFinalGc: after.problems.length }),
)
for (const f of failures.slice(0, 10)) console.log(`failed: ${f}`)
for (const p of [...report.problems, ...after.problems].slice(0, 10)) console.log(`problem: ${p.key}@${p.version} ${p.location}: ${p.message}`)
const clean = report.problems.length === 0 && after.problems.length === 0
console.log(clean ? `verify clean after ${trials} trials (${counts.killed} killed)` : 'VERIFY FOUND PROBLEMS')
await rm(home, { recursive: true, force: true })
process.exit(clean ? 0 : 1)
