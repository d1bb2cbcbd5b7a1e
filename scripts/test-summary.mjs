// Sums vitest's JSON results of every workspace package into one closing line:
// `tests: N passed, N failed` (+ `, N skipped` when any were skipped). With checkouts as
// arguments (CI runs the suite in two, on two Node versions) it sums over all of them.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const roots = process.argv.length > 2 ? process.argv.slice(2) : [new URL('..', import.meta.url).pathname]
let passed = 0
let failed = 0
let skipped = 0
let files = 0
for (const dir of roots.flatMap((root) => ['packages', 'plugins', 'apps', 'tests'].map((group) => join(root, group)))) {
  if (!existsSync(dir)) continue
  for (const name of readdirSync(dir)) {
    const results = join(dir, name, 'test-results', 'vitest.json')
    if (!existsSync(results)) continue
    const r = JSON.parse(readFileSync(results, 'utf8'))
    files++
    passed += r.numPassedTests ?? 0
    failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0)
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  }
}
if (files === 0) console.error('no vitest results found')
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
