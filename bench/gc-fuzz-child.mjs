// One operation of the gc fuzz, in its own process so that it can be killed at any moment:
//   node gc-fuzz-child.mjs put <home> <key> <source>
//   node gc-fuzz-child.mjs gc <home>
import { openStack } from './stack.mjs'

const [op, home, key, source] = process.argv.slice(2)
const manager = openStack(home).as({ user: 'fuzz', roles: ['admin'] })
try {
  if (op === 'put') await manager.put(key, source)
  else await manager.gc({ graceSeconds: 0 })
  process.stdout.write('ok\n')
} finally {
  await manager.close()
}
