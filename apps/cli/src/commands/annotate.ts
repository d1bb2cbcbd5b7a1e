import { parseRef } from '../asset-ref.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { formatTime, table } from '../output.js'

export async function annotate(ctx: CommandContext): Promise<number> {
  const [target = '', ...words] = ctx.positionals
  const { key, ref = 'latest' } = parseRef(target)
  const annotation = await withManager(ctx.globals, (manager) => manager.annotate(key, words.join(' '), undefined, ref))
  ctx.out.result(annotation, () => `annotated ${annotation.key}@${annotation.version}`)
  return 0
}

/** Every version's notes, or one version's when the argument names it. */
export async function annotations(ctx: CommandContext): Promise<number> {
  const { key, ref } = parseRef(ctx.positionals[0]!)
  const list = await withManager(ctx.globals, (manager) => manager.listAnnotations(key, ref))
  ctx.out.result({ key, annotations: list }, () =>
    table(
      ['VERSION', 'AT', 'BY', 'TEXT'],
      list.map((a) => [a.version, formatTime(a.createdAt), a.user, a.text]),
    ),
  )
  if (list.length === 0) ctx.out.note('no annotations')
  return 0
}
