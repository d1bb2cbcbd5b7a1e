import { flagOption } from '../args.js'
import { type CommandContext, progressFor } from '../context.js'
import { withManager } from '../open-manager.js'

/** Exit 1 when any version's content is missing or damaged. */
export async function verify(ctx: CommandContext): Promise<number> {
  const key = ctx.positionals[0]
  const deep = !flagOption(ctx.values, 'shallow')
  const report = await withManager(ctx.globals, async (manager) => {
    const progress = progressFor(ctx, `verify ${key ?? 'every asset'}`)
    progress.setPhase(deep ? 're-hashing…' : 'checking sizes…')
    try {
      return await manager.verify(key, { deep, signal: ctx.interrupt.signal() })
    } finally {
      progress.finish()
    }
  })
  ctx.out.result(report, () => {
    const lines = [`checked ${report.checked} version${report.checked === 1 ? '' : 's'}: ${report.ok} ok, ${report.checked - report.ok} with problems`]
    for (const p of report.problems) lines.push(`  ${p.key}@${p.version}: ${p.message} (${p.location})`)
    return lines.join('\n')
  })
  return report.problems.length === 0 ? 0 : 1
}
