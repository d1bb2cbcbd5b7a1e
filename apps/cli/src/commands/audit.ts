import { integerOption } from '../args.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { formatTime, table } from '../output.js'

export async function audit(ctx: CommandContext): Promise<number> {
  const key = ctx.positionals[0]
  const limit = integerOption(ctx.values, 'limit', 1)
  const entries = await withManager(ctx.globals, (manager) => manager.audit({ key, limit }))
  ctx.out.result({ entries }, () =>
    table(
      ['AT', 'ACTOR', 'ACTION', 'ASSET', 'DETAILS'],
      entries.map((e) => [
        formatTime(e.at),
        e.actor,
        e.action,
        e.key === undefined ? '' : e.version === undefined ? e.key : `${e.key}@${e.version}`,
        e.details === undefined ? '' : JSON.stringify(e.details),
      ]),
    ),
  )
  if (entries.length === 0) ctx.out.note('no audit entries')
  return 0
}
