import {
  AssetConfig,
  AssetError,
  actorFor,
  type ConfigProblem,
  ConfigInvalidError,
  loadPlugin,
  type PluginKind,
  validateActor,
} from '@assets/core'
import type { CommandContext } from '../context.js'
import { cliLogger, pluginSearch } from '../open-manager.js'
import { compactJson, fields } from '../output.js'

export async function configShow(ctx: CommandContext): Promise<number> {
  const config = await AssetConfig.loadAsync({ logger: cliLogger(ctx.globals) })
  const actor = actorFor(config, ctx.globals.as)
  const doc = {
    config: config.redacted(),
    sources: config.sources,
    configFile: config.configFile ?? null,
    dotenvFile: config.dotenvFile ?? null,
    actor: { user: actor.user, groups: actor.groups ?? [], roles: actor.roles ?? [] },
  }
  ctx.out.result(doc, () => {
    const values = doc.config
    const section = (s: Record<string, unknown>) =>
      Object.entries(s)
        .map(([k, v]) => `${k}=${compactJson(v)}`)
        .join(' ')
    const from = (field: keyof typeof doc.sources) => `  [${doc.sources[field]}]`
    return fields([
      ['config file', doc.configFile ?? '(none)'],
      ['.env file', doc.dotenvFile ?? '(none)'],
      ['dataDir', values.dataDir + from('dataDir')],
      ['cacheDir', values.cacheDir + from('cacheDir')],
      ['storage', section(values.storage) + from('storage')],
      ['cache', section(values.cache) + from('cache')],
      ['registry', section(values.registry) + from('registry')],
      ['identity', section({ ...values.identity }) + from('identity')],
      ['users', Object.keys(values.users).length === 0 ? '(none)' + from('users') : compactJson(values.users) + from('users')],
      ['insecure http', String(values.allowInsecureStorage) + from('allowInsecureStorage')],
      ['plugin paths', (values.pluginPaths.length === 0 ? '(none)' : values.pluginPaths.join(', ')) + from('pluginPaths')],
      ['acting as', `user:${actor.user}${actor.groups?.length ? ` groups ${actor.groups.join(',')}` : ''}${actor.roles?.length ? ` roles ${actor.roles.join(',')}` : ''}`],
    ])
  })
  return 0
}

const KINDS: PluginKind[] = ['storage', 'registry', 'cache']

/**
 * Everything that would stop the stack from starting, found without connecting to anything:
 * the config's own problems, then each selected plugin imported and its options checked.
 */
export async function configCheck(ctx: CommandContext): Promise<number> {
  const problems: ConfigProblem[] = []
  let config: AssetConfig | undefined
  try {
    config = await AssetConfig.loadAsync({ logger: cliLogger(ctx.globals) })
  } catch (error) {
    if (!ConfigInvalidError.isInstance(error)) throw error
    problems.push(...error.problems)
  }
  if (config) {
    const context = config.pluginContext(cliLogger(ctx.globals))
    const importer = pluginSearch(config).importer
    for (const kind of KINDS) {
      if (kind === 'cache' && !config.cache.enabled) continue
      try {
        const instance = await loadPlugin(kind, config[kind], context, { importer })
        await instance.close()
      } catch (error) {
        if (ConfigInvalidError.isInstance(error)) problems.push(...error.problems)
        else if (AssetError.isInstance(error)) problems.push({ field: `${kind}.type`, message: `${error.code}: ${error.message}` })
        else throw error
      }
    }
    try {
      validateActor(actorFor(config, ctx.globals.as))
    } catch (error) {
      if (!AssetError.isInstance(error)) throw error
      problems.push({ field: ctx.globals.as === undefined ? 'identity' : '--as', message: error.message })
    }
  }
  const ok = problems.length === 0
  ctx.out.result({ ok, problems }, () =>
    ok ? 'config OK' : [`config has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`, ...problems.map((p) => `  - ${p.field}: ${p.message}`)].join('\n'),
  )
  return ok ? 0 : 1
}
