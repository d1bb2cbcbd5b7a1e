import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'

export interface DefaultPaths {
  dataDir: string
  cacheDir: string
}

type Env = Record<string, string | undefined>

/**
 * The folders of the embedded default. `ASSETS_HOME` keeps everything under one folder, which
 * is what a shared disk or a container volume wants; otherwise the XDG base directories, so a
 * laptop install behaves like every other tool (data survives, the cache can be wiped).
 * Computes paths only: nothing is created here, plugins create what they use.
 */
export function defaultPaths(env: Env, cwd: string, home?: string): DefaultPaths {
  if (home !== undefined && home !== '') {
    const root = resolve(cwd, home)
    return { dataDir: root, cacheDir: join(root, 'cache') }
  }
  const userHome = nonEmpty(env.HOME) ?? homedir()
  return {
    dataDir: join(xdgBase(env.XDG_DATA_HOME) ?? join(userHome, '.local', 'share'), 'assets'),
    cacheDir: join(xdgBase(env.XDG_CACHE_HOME) ?? join(userHome, '.cache'), 'assets'),
  }
}

/**
 * The user's own config folder for this tool (`$XDG_CONFIG_HOME/assets`, else
 * `~/.config/assets`): where what only the user may decide lives, such as the trusted folders.
 */
export function userConfigDir(env: Env): string {
  const userHome = nonEmpty(env.HOME) ?? homedir()
  return join(xdgBase(env.XDG_CONFIG_HOME) ?? join(userHome, '.config'), 'assets')
}

// The XDG spec says a relative value is invalid and must be ignored, not resolved.
function xdgBase(value: string | undefined): string | undefined {
  const v = nonEmpty(value)
  return v !== undefined && isAbsolute(v) ? v : undefined
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
