import { flagOption, integerOption } from '../args.js'
import { type CommandContext, progressFor } from '../context.js'
import { withManager } from '../open-manager.js'
import { formatBytes } from '../output.js'

export async function gc(ctx: CommandContext): Promise<number> {
  const dryRun = flagOption(ctx.values, 'dry-run')
  const graceSeconds = integerOption(ctx.values, 'grace', 0)
  const report = await withManager(ctx.globals, async (manager) => {
    const progress = progressFor(ctx, 'gc')
    try {
      return await manager.gc({ dryRun, graceSeconds })
    } finally {
      progress.finish()
    }
  })
  ctx.out.result(report, () => {
    const verb = dryRun ? 'would remove' : 'removed'
    const lines = [
      `${verb} ${report.removedObjects.length} object${report.removedObjects.length === 1 ? '' : 's'} (${formatBytes(report.freedBytes)})` +
        ` and ${report.purgedVersions.length} expired version${report.purgedVersions.length === 1 ? '' : 's'}`,
      ...report.purgedVersions.map((v) => `  version ${v.key}@${v.version}`),
      ...report.removedObjects.map((o) => `  object ${o}`),
    ]
    return lines.join('\n')
  })
  return 0
}
