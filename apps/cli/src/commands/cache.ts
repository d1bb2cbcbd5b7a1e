import { type BaseAssetManager, type Cache, type CacheEntryInfo, UnsupportedOperationError } from '@assets/core'
import { integerOption } from '../args.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { formatBytes, formatTime, table } from '../output.js'

function cacheOf(manager: BaseAssetManager): Cache {
  if (!manager.cache) throw new UnsupportedOperationError('the cache is disabled (CACHE_ENABLED=false or cache.enabled: false)')
  return manager.cache
}

export async function cacheLs(ctx: CommandContext): Promise<number> {
  const { entries, stats } = await withManager(ctx.globals, async (manager) => {
    const cache = cacheOf(manager)
    const entries: CacheEntryInfo[] = []
    for await (const entry of cache.list()) entries.push(entry)
    entries.sort((a, b) => b.lastAccess.getTime() - a.lastAccess.getTime())
    return { entries, stats: await cache.stats() }
  })
  ctx.out.result({ entries, stats }, () => {
    const rows = entries.map((e) => [e.key, formatBytes(e.size), formatTime(e.lastAccess), e.path])
    const limit = stats.maxBytes === undefined ? '' : ` of at most ${formatBytes(stats.maxBytes)}`
    const summary = `${stats.entries} entr${stats.entries === 1 ? 'y' : 'ies'}, ${formatBytes(stats.bytes)}${limit}`
    return rows.length === 0 ? summary : `${table(['KEY', 'SIZE', 'LAST ACCESS', 'PATH'], rows)}\n${summary}`
  })
  return 0
}

export async function cachePrune(ctx: CommandContext): Promise<number> {
  const maxBytes = integerOption(ctx.values, 'max-bytes', 0)
  const result = await withManager(ctx.globals, async (manager) => {
    const pruned = await cacheOf(manager).prune(maxBytes === undefined ? {} : { maxBytes })
    await manager.sweepNamedLinks() // the file-name links of what was pruned
    return pruned
  })
  ctx.out.result(result, () => `removed ${result.removed} entr${result.removed === 1 ? 'y' : 'ies'}, freed ${formatBytes(result.freedBytes)}`)
  return 0
}

export async function cacheClear(ctx: CommandContext): Promise<number> {
  await withManager(ctx.globals, async (manager) => {
    await cacheOf(manager).clear()
    await manager.sweepNamedLinks()
  })
  ctx.out.result({ cleared: true }, () => 'cache cleared')
  return 0
}

/** Damaged entries are dropped (the next get fetches them again), so a repair is not a failure. */
export async function cacheVerify(ctx: CommandContext): Promise<number> {
  const result = await withManager(ctx.globals, (manager) => cacheOf(manager).verify())
  ctx.out.result(result, () =>
    [`checked ${result.checked} entr${result.checked === 1 ? 'y' : 'ies'}, removed ${result.removed.length} damaged`, ...result.removed.map((k) => `  ${k}`)].join('\n'),
  )
  return 0
}
