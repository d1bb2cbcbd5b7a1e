#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8'
import { run } from './cli.js'

// No allocation-site pretenuring (a V8 heuristic), set here so that every user of the command
// gets it without exporting anything. A folder put of 10⁵ small files makes a few short-lived
// objects per file that live across awaits; now and then V8 judged one such allocation site
// long-lived and allocated its objects in the old generation, where each kept the young objects
// it points to alive until the next full collection. Measured on that put (issue 14, 2026-12-05,
// BENCHMARKS.md): peak RSS 174–209 MB instead of 143–153 MB in 6 of 57 runs without this flag,
// 0 of 26 with it (at most 154 MB), and no slower. What the command keeps for long (a folder's
// listing, digests) is made once in typed arrays, so the heuristic gains it nothing. Set before
// the first command runs: it applies to every allocation after it.
setFlagsFromString('--no-allocation-site-pretenuring')

// No `module.enableCompileCache()`: on Node 24 it made a warm `get` no faster (BENCHMARKS.md)
// and wrote 19 MB into the temporary folder.

// A reader that goes away (`assets cat big | head`) is not an error of ours: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

run(process.argv.slice(2)).then(
  (code) => exit(code),
  (error: unknown) => {
    process.stderr.write(`error INTERNAL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    exit(1)
  },
)

// Plugins may hold timers or sockets open; the command is finished, so end once output is out.
function exit(code: number): void {
  if (process.stdout.writableLength === 0) process.exit(code)
  process.stdout.once('drain', () => process.exit(code))
}
