import { resolve } from 'node:path'
import { FOLDER_CONFIG_FILES, listTrustedFolders, revokeFolder, trustFilePath, trustFolder } from '@assets/core'
import { flagOption, UsageError } from '../args.js'
import type { CommandContext } from '../context.js'
import { formatTime, table } from '../output.js'

/**
 * Allows a working folder (default: the current one): its config.yaml and .env as they are now,
 * and the plugins in its node_modules. `--revoke` withdraws that; `--list` shows every folder.
 */
export async function trust(ctx: CommandContext): Promise<number> {
  const revoke = flagOption(ctx.values, 'revoke')
  const list = flagOption(ctx.values, 'list')
  if (list && (revoke || ctx.positionals.length > 0)) throw new UsageError('--list takes no folder and no --revoke')
  if (list) return listFolders(ctx)
  const dir = resolve(ctx.positionals[0] ?? '.')
  if (revoke) {
    const revoked = revokeFolder(dir)
    ctx.out.result({ path: dir, revoked }, () => (revoked ? `no longer trusted: ${dir}` : `was not trusted: ${dir}`))
    return 0
  }
  const entry = trustFolder(dir)
  const present = FOLDER_CONFIG_FILES.filter((name) => entry.files[name] !== null)
  ctx.out.result({ trusted: entry }, () => {
    const files = present.length === 0 ? 'no config.yaml or .env yet' : present.join(' and ')
    return `trusted ${entry.path} (${files}, and the plugins in its node_modules)`
  })
  return 0
}

function listFolders(ctx: CommandContext): number {
  const folders = listTrustedFolders()
  ctx.out.result({ trustFile: trustFilePath(), folders }, () =>
    folders.length === 0
      ? `no trusted folders (${trustFilePath()})`
      : table(
          ['PATH', 'STATE', 'TRUSTED'],
          folders.map((f) => [f.path, f.state === 'changed' ? 'changed since (run assets trust again)' : f.state, formatTime(f.trustedAt)]),
        ),
  )
  return 0
}
