import { isAbsolute } from 'node:path'
import { pathToFileURL } from 'node:url'
import { KindGuard, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { normalizePluginType } from '../config/env-mapping.js'
import { type PluginSection, schemaProblems } from '../config/config-schema.js'
import { redactUrl } from '../config/redact.js'
import {
  type PluginContext,
  type PluginDefinition,
  type PluginInstanceMap,
  type PluginKind,
  SPECIFICATION_VERSION,
} from '../contracts/index.js'
import { AssetError, ConfigInvalidError, PluginInvalidError, PluginNotFoundError } from '../errors/index.js'
import { type PluginImporter, PluginSearch } from './plugin-search.js'

/** Our own plugins, by the name a config uses for them. */
export const BUILTIN_PLUGINS = {
  storage: {
    local: '@assets/storage-local',
    s3: '@assets/storage-s3',
    http: '@assets/storage-http',
    huggingface: '@assets/storage-huggingface',
    remote: '@assets/remote/storage',
  },
  cache: { local: '@assets/cache-local', redis: '@assets/cache-redis', memcached: '@assets/cache-memcached', s3: '@assets/cache-s3' },
  registry: { sqlite: '@assets/registry-sqlite', postgres: '@assets/registry-postgres', mysql: '@assets/registry-mysql', remote: '@assets/remote' },
} as const satisfies Record<PluginKind, Record<string, string>>

export interface LoadPluginOptions {
  importer?: PluginImporter
}

export interface BuiltinPlugin {
  kind: PluginKind
  name: string
  packageName: string
}

export interface ResolvedPluginPackage {
  kind: PluginKind
  /** The type after normalisation (`S3Storage` → `s3`). */
  type: string
  /** What is imported: a package name, an absolute path or a file URL. */
  specifier: string
  builtin: boolean
}

const KINDS: PluginKind[] = ['storage', 'cache', 'registry']

// npm's rules for a package name, plus an optional subpath (`@acme/pkg/storage`).
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*(?:\/[A-Za-z0-9._~-]+)*$/

// Options every cache section has, consumed by the manager rather than by the plugin.
const CACHE_GENERIC_OPTIONS = new Set(['enabled', 'ttl'])

export function listBuiltinPlugins(): BuiltinPlugin[] {
  return KINDS.flatMap((kind) =>
    Object.entries(BUILTIN_PLUGINS[kind]).map(([name, packageName]) => ({ kind, name, packageName })),
  )
}

/**
 * What `type` means for a plugin of `kind`: a built-in name maps to our package, anything
 * else must be a package name or an absolute path. Throws PluginNotFoundError, listing the
 * known names, for a type that is neither.
 */
export function resolvePluginPackage(kind: PluginKind, type: string): ResolvedPluginPackage {
  const normalized = normalizePluginType(kind, type)
  const builtins: Record<string, string> = BUILTIN_PLUGINS[kind]
  const builtin = builtins[normalized]
  if (builtin !== undefined) return { kind, type: normalized, specifier: builtin, builtin: true }
  const plausible =
    (normalized.length <= 214 && PACKAGE_NAME.test(normalized)) ||
    isAbsolute(normalized) ||
    normalized.startsWith('file:')
  if (!plausible) {
    throw new PluginNotFoundError(
      `unknown ${kind} type ${JSON.stringify(type)}: use one of ${Object.keys(builtins).join(', ')}, ` +
        `a package name (e.g. @acme/assets-${kind}-custom) or an absolute path`,
    )
  }
  return { kind, type: normalized, specifier: normalized, builtin: false }
}

/**
 * Imports the plugin a config section selects, validates its options against the plugin's
 * schema and creates the instance. Nothing is created when the options are invalid.
 */
export async function loadPlugin<K extends PluginKind>(
  kind: K,
  section: PluginSection,
  context: PluginContext,
  options: LoadPluginOptions = {},
): Promise<PluginInstanceMap[K]> {
  const resolved = resolvePluginPackage(kind, section.type)
  const moduleValue = await importPlugin(resolved, options.importer ?? defaultImporter)
  const definition = pluginDefinition(kind, resolved, moduleValue)
  const pluginOptions = validateOptions(kind, definition, section)
  try {
    return definition.create(pluginOptions, context)
  } catch (error) {
    if (AssetError.isInstance(error)) throw error
    const why = error instanceof Error ? redactUrl(error.message) : 'it threw a non-error value'
    throw new PluginInvalidError(`${kind} plugin "${definition.name}" failed to start: ${why}`, { cause: error })
  }
}

async function importPlugin(resolved: ResolvedPluginPackage, importer: PluginImporter): Promise<unknown> {
  const { kind, type, specifier, builtin } = resolved
  try {
    return await importer(specifier, { builtin })
  } catch (error) {
    if (isModuleNotFound(error, specifier)) {
      const isPath = isAbsolute(specifier) || specifier.startsWith('file:')
      const install = isPath ? '' : `: install it (npm install ${packageOf(specifier)})`
      const what = builtin ? `${kind} type "${type}" needs the package ${specifier}` : `${kind} plugin ${specifier} was not found`
      const searched = field(error, 'searched')
      const where = Array.isArray(searched) && searched.length > 0 ? `; looked from ${searched.join(', ')}` : ''
      const untrusted = field(error, 'untrusted')
      const skipped =
        typeof untrusted === 'string'
          ? `; the copy in ${untrusted} was not used because the working folder is not trusted (run: assets trust)`
          : ''
      throw new PluginNotFoundError(`${what}${install}${where}${skipped}`, { cause: error })
    }
    const why = error instanceof Error ? redactUrl(error.message) : String(error)
    throw new PluginInvalidError(`${kind} plugin ${specifier} failed to load: ${why}`, { cause: error })
  }
}

/**
 * Finds a built-in plugin's package wherever core is installed, then in the working directory's
 * project; any other package the other way round (see PluginSearch). An application that ships
 * plugins, as the CLI does, passes `new PluginSearch({ bundledWith: import.meta.url }).importer`.
 */
export const defaultImporter: PluginImporter = (specifier, options) => new PluginSearch().importer(specifier, options)

/** True only when the module that is missing is the plugin itself, not one of its imports. */
function isModuleNotFound(error: unknown, specifier: string): boolean {
  const code = errorCode(error)
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false
  const message = error instanceof Error ? error.message : ''
  const names = [specifier]
  if (specifier.startsWith('file:')) names.push(decodeURIComponent(new URL(specifier).pathname))
  else if (isAbsolute(specifier)) names.push(pathToFileURL(specifier).href)
  else names.push(packageOf(specifier))
  return names.some((name) => message.includes(`'${name}'`) || message.includes(`"${name}"`))
}

function pluginDefinition<K extends PluginKind>(
  kind: K,
  resolved: ResolvedPluginPackage,
  moduleValue: unknown,
): PluginDefinition<K> {
  const from = resolved.specifier
  const candidate = [field(moduleValue, 'default'), field(moduleValue, 'plugin'), field(field(moduleValue, 'default'), 'default')].find(
    looksLikePlugin,
  )
  if (candidate === undefined) {
    throw new PluginInvalidError(
      `${from} is not an @assets plugin: expected a default export made with definePlugin(), found ${describe(field(moduleValue, 'default'))}`,
    )
  }
  const problems: string[] = []
  if (candidate.kind !== kind) problems.push(`it is a ${describe(candidate.kind)} plugin, not a ${kind} plugin`)
  if (typeof candidate.name !== 'string' || candidate.name === '') problems.push('it has no name')
  if (!KindGuard.IsSchema(candidate.options)) problems.push('its options are not a typebox schema')
  const version = candidate.specificationVersion
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    problems.push(`its specificationVersion ${describe(version)} is not a positive integer`)
  } else if (version > SPECIFICATION_VERSION) {
    problems.push(
      `it implements specification version ${version} and needs a newer @assets/core (this one supports ${SPECIFICATION_VERSION})`,
    )
  }
  if (problems.length > 0) throw new PluginInvalidError(`${from} cannot be used as a ${kind} plugin: ${problems.join('; ')}`)
  return candidate as unknown as PluginDefinition<K>
}

function validateOptions(kind: PluginKind, definition: PluginDefinition, section: PluginSection): unknown {
  const given: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(section)) {
    if (name === 'type' || (kind === 'cache' && CACHE_GENERIC_OPTIONS.has(name))) continue
    given[name] = value
  }
  const schema: TSchema = definition.options
  // Default and Convert write into their argument; the section may be frozen config.
  const converted = Value.Convert(schema, Value.Default(schema, Value.Clone(given)))
  if (Value.Check(schema, converted)) return converted
  throw new ConfigInvalidError(schemaProblems(schema, converted, kind))
}

function looksLikePlugin(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && 'kind' in value && typeof (value as Record<string, unknown>).create === 'function'
}

function field(value: unknown, name: string): unknown {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
    ? (value as Record<string, unknown>)[name]
    : undefined
}

function describe(value: unknown): string {
  if (value === undefined) return 'no default export'
  if (value === null) return 'null'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') {
    const keys = Object.keys(value).slice(0, 6)
    return keys.length === 0 ? 'an empty object' : `an object with ${keys.join(', ')}`
  }
  return `${typeof value} ${String(value)}`
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier)
}

function errorCode(error: unknown): string | undefined {
  const code = field(error, 'code')
  return typeof code === 'string' ? code : undefined
}
