// Sums vitest's JSON results of every workspace package into one closing line:
// `tests: N passed, N failed` (+ `, N skipped` when any were skipped). With checkouts as
// arguments (CI runs the suite in two, on two Node versions) it sums over all of them. With
// --failures it first names each failed test (package, file, test, first line of the error), so
// that the tail of a CI log says what failed without the whole log.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const args = process.argv.slice(2)
const listFailures = args.includes('--failures')
const given = args.filter((arg) => arg !== '--failures')
const roots = given.length > 0 ? given : [new URL('..', import.meta.url).pathname]
const failures = []
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
    for (const file of r.testResults ?? []) {
      const where = `${join(dir, name).slice(join(dir, '..', '..').length + 1)} ${file.name?.slice(join(dir, name).length + 1) ?? ''}`
      const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed')
      for (const test of failed) failures.push(`${where} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`)
      // A file that failed with no failed test failed around its tests (a hook, an import).
      if (failed.length === 0 && file.status === 'failed') failures.push(`${where}: ${firstLine(file.message)}`)
    }
  }
}
function firstLine(text) {
  return String(text ?? '').split('\n').find((line) => line.trim() !== '')?.trim().slice(0, 300) ?? ''
}

if (listFailures) for (const failure of failures) console.log(`failed: ${failure}`)
if (files === 0) console.error('no vitest results found')
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
