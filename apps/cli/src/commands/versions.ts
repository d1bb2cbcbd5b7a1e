import { AssetError, NotFoundError } from '@assets/core'
import { flagOption } from '../args.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { formatBytes, formatTime, shortDigest, table } from '../output.js'

export async function versions(ctx: CommandContext): Promise<number> {
  const key = ctx.positionals[0]!
  const includeDeleted = flagOption(ctx.values, 'all')
  const items = await withManager(ctx.globals, async (manager) => {
    const records = await manager.listVersions(key, { includeDeleted })
    // An unknown key is an error, as for every other command; a key whose versions were all
    // deleted lists nothing without --all.
    if (records.length === 0 && (includeDeleted || (await manager.listVersions(key, { includeDeleted: true })).length === 0)) {
      throw new NotFoundError(`asset ${key} does not exist`)
    }
    const tags: Record<string, string> = {}
    try {
      Object.assign(tags, await manager.listTags(key))
      tags.latest = (await manager.getMetadata(key, 'latest')).version
    } catch (error) {
      // Every version deleted, or the latest not readable: the versions still list, untagged.
      if (!AssetError.isInstance(error)) throw error
    }
    return records.map((r) => ({
      ...r,
      tags: Object.entries(tags)
        .filter(([, version]) => version === r.version)
        .map(([tag]) => tag)
        .sort((a, b) => (a === 'latest' ? -1 : b === 'latest' ? 1 : a.localeCompare(b))),
    }))
  })
  ctx.out.result({ key, versions: items }, () =>
    table(
      ['VERSION', 'KIND', 'SIZE', 'DIGEST', 'CREATED', 'BY', 'TAGS'],
      items.map((r) => [
        r.version + (r.deletedAt ? ' (deleted)' : ''),
        r.kind,
        formatBytes(r.size),
        shortDigest(r.digest),
        formatTime(r.createdAt),
        r.createdBy,
        r.tags.join(','),
      ]),
    ),
  )
  return 0
}
