// One measured operation in a fresh process, so that its peak RSS is its own:
//   node embedded-child.mjs put <home> <source>
//   node embedded-child.mjs get <home> <warm-repeats>
//   node embedded-child.mjs stream <home>
import { createHash } from 'node:crypto'
import { openStack } from './stack.mjs'

const [op, home, arg] = process.argv.slice(2)
const manager = openStack(home)
const out = {}
const t0 = performance.now()
if (op === 'put') {
  const r = await manager.put('bench/data', arg)
  out.ms = performance.now() - t0
  out.digest = r.digest
} else if (op === 'get') {
  await manager.get('bench/data')
  out.coldMs = performance.now() - t0
  const times = []
  for (let i = 0; i < Number(arg); i++) {
    const s = performance.now()
    await manager.get('bench/data')
    times.push(performance.now() - s)
  }
  times.sort((a, b) => a - b)
  out.warmP50 = times[Math.floor(times.length * 0.5)]
  out.warmP95 = times[Math.floor(times.length * 0.95)]
} else if (op === 'stream') {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of await manager.stream('bench/data')) {
    hash.update(chunk)
    bytes += chunk.length
  }
  out.ms = performance.now() - t0
  out.bytes = bytes
}
await manager.close()
out.maxRssMB = process.resourceUsage().maxRSS / 1024
process.stdout.write(JSON.stringify(out))
