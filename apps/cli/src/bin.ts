#!/usr/bin/env node
import { run } from './cli.js'

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
