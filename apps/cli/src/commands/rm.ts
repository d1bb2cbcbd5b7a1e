import { normalizeVersion } from '@assets/core'
import { UsageError } from '../args.js'
import { parseRef } from '../asset-ref.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'

export async function rm(ctx: CommandContext): Promise<number> {
  const { key, ref } = parseRef(ctx.positionals[0]!)
  // A soft delete is of one exact version: "latest" or a tag would move under the user's feet.
  if (ref === undefined) throw new UsageError('rm needs the exact version: <key>@<version>')
  const version = normalizeVersion(ref)
  await withManager(ctx.globals, (manager) => manager.delete(key, version))
  ctx.out.result({ key, version, deleted: true }, () => `deleted ${key}@${version}`)
  return 0
}
