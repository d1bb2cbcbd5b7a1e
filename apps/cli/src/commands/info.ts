import { fileNameOf } from '@assets/core'
import { parseRef } from '../asset-ref.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { recordFields } from '../record-view.js'

export async function info(ctx: CommandContext): Promise<number> {
  const { key, ref = 'latest' } = parseRef(ctx.positionals[0]!)
  const record = await withManager(ctx.globals, (manager) => manager.getMetadata(key, ref))
  // Scripts always get the name `get` uses, recorded or (for older versions) derived from the key.
  ctx.out.result({ ...record, fileName: fileNameOf(record) }, () => recordFields(record))
  return 0
}
