#!/usr/bin/env node
import * as nodeModule from 'node:module'
import { run } from './cli.js'

// Node 22.1+ can cache compiled code between runs, which is most of a command's start-up
// (core and its dependencies are a few hundred modules); older versions simply lack it.
;(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.()

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
