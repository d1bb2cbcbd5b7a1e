import { resolve, sep } from 'node:path'
import { stringOption } from '../args.js'
import { parseRef } from '../asset-ref.js'
import { type CommandContext, progressFor } from '../context.js'
import { withManager } from '../open-manager.js'
import { refOf } from '../record-view.js'

export async function get(ctx: CommandContext): Promise<number> {
  const { key, ref = 'latest' } = parseRef(ctx.positionals[0]!)
  const out = stringOption(ctx.values, 'out')
  const result = await withManager(ctx.globals, async (manager) => {
    // Resolved once, so that the path printed is the version reported even if a put lands meanwhile.
    const info = await manager.getMetadata(key, ref)
    const progress = progressFor(ctx, `get ${refOf(info)}`)
    try {
      const path = await manager.get(key, info.version, {
        // A trailing / means "into this folder": resolve() would drop it.
        out: out === undefined ? undefined : resolve(out) + (out.endsWith('/') || out.endsWith(sep) ? sep : ''),
        signal: ctx.interrupt.signal(),
        onProgress: (p) => progress.update({ bytes: p.bytes, total: p.total ?? info.size }),
      })
      return { key, version: info.version, kind: info.kind, type: info.type, digest: info.digest, size: info.size, path }
    } finally {
      progress.finish()
    }
  })
  ctx.out.result(result, () => result.path)
  return 0
}
