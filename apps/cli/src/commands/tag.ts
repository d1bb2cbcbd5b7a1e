import { flagOption, UsageError } from '../args.js'
import { parseRef } from '../asset-ref.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'

/** `tag <key> <tag> [<version>]` (also `<key>@<version> <tag>`), or `tag --rm <key> <tag>`. */
export async function tag(ctx: CommandContext): Promise<number> {
  const [target = '', name = '', third] = ctx.positionals
  const { key, ref } = parseRef(target)
  if (flagOption(ctx.values, 'rm')) {
    if (third !== undefined || ref !== undefined) throw new UsageError('tag --rm takes <key> <tag>: a tag points at one version already')
    await withManager(ctx.globals, (manager) => manager.untag(key, name))
    ctx.out.result({ key, tag: name, removed: true }, () => `removed tag ${name} from ${key}`)
    return 0
  }
  if (ref !== undefined && third !== undefined) throw new UsageError('give the version either as <key>@<version> or as the third argument')
  const version = await withManager(ctx.globals, async (manager) => {
    const record = await manager.getMetadata(key, third ?? ref ?? 'latest')
    await manager.tag(key, name, record.version)
    return record.version
  })
  ctx.out.result({ key, tag: name, version }, () => `${key}@${name} → ${version}`)
  return 0
}
