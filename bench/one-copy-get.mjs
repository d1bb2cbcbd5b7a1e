// The manager's first get() after a put, alone, on the embedded default of ASSETS_HOME: prints
// its milliseconds and whether the cache answered it ({ms, hit}). Started by one-copy.mjs in a
// process of its own; plugins resolve from here.
import { createAssetManager } from '@assets/core'

const manager = await createAssetManager(undefined, { importer: (specifier) => import(specifier) })
const t = performance.now()
await manager.get(process.argv[2])
const ms = performance.now() - t
const hit = (await manager.cache.stats()).misses === 0
await manager.close()
process.stdout.write(JSON.stringify({ ms, hit }))
