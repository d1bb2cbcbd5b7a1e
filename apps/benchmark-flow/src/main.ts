#!/usr/bin/env node
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBenchmarkFlow } from './benchmark-flow.js'

const home = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'benchmark-flow-')))
console.log(`stack under ${home}`)
await runBenchmarkFlow(home, (line) => console.log(line))
