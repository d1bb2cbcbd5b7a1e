import { readFileSync, statSync } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'
import { validatePrincipal } from '../acl.js'
import type { Logger, PluginContext, PluginKind } from '../contracts/index.js'
import { parseDataYaml, yamlPosition } from '../data-yaml.js'
import { AssetError, ConfigInvalidError, type ConfigProblem } from '../errors/index.js'
import {
  type AssetConfigInput,
  AssetConfigInputSchema,
  AssetConfigSchema,
  type AssetConfigValues,
  type CacheSection,
  type IdentityConfig,
  type PluginSection,
  schemaProblems,
  type UserConfig,
} from './config-schema.js'
import { defaultPaths } from './default-paths.js'
import { parseDotenv } from './dotenv.js'
import { envPluginType, mapGlobalEnv, mapSectionEnv, normalizePluginType, readVariable, TYPE_VARIABLES } from './env-mapping.js'
import { WorkingFolderGate } from './working-folder-gate.js'
import { redactSecrets, redactUrl } from './redact.js'
import { fetchConfigUrl, isConfigUrl } from './config-url.js'
import { ConfigUrlCopy } from './config-url-copy.js'

type Env = Record<string, string | undefined>

/** Config and `.env` files larger than this are refused: a config is never that big. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024

/** Where a top-level field's value came from; the highest-precedence contributor wins. */
export type ConfigSource = 'default' | 'file' | 'code' | 'dotenv' | 'env'

export type ConfigField = keyof AssetConfigValues

export interface LoadConfigOptions {
  /** Defaults to `process.env`. */
  env?: Env
  /**
   * Where `config.yaml` and `.env` are looked for. A folder named here is the program's choice
   * and is read as given. By default the working directory, whose files are read only when
   * the user trusts that folder (`assets trust`, `trustFolder`): a cloned repository must not
   * choose plugins or endpoints.
   */
  cwd?: string
  /**
   * Overrides `CONFIG_PATH`; the file must exist. An `https://` URL is read by `loadAsync`
   * only (see CONFIG_PATH as a URL in the README).
   */
  configPath?: string
  /** How long `loadAsync` waits for a config URL, redirects included; default 10 s. */
  configUrlTimeoutMs?: number
  /** Where warnings go (an untrusted working folder, a config URL's last good copy used); default: the console. */
  logger?: Logger
}

export interface FromObjectOptions {
  /** Only used for the default folders (`ASSETS_HOME`, XDG); defaults to `process.env`. */
  env?: Env
  /** Relative folders are resolved against it; defaults to `process.cwd()`. */
  cwd?: string
}

const DEFAULT_TYPES: Record<PluginKind, string> = { storage: 'local', cache: 'local', registry: 'sqlite' }
const DEFAULT_TTL_SECONDS = 300
const CACHE_GENERIC_FIELDS = ['enabled', 'ttl'] as const
const KINDS: PluginKind[] = ['storage', 'cache', 'registry']
const RANK: Record<ConfigSource, number> = { default: 0, file: 1, code: 1, dotenv: 2, env: 3 }

/**
 * The resolved configuration. Precedence, highest first:
 *   1. the process environment;
 *   2. the `.env` file (`DOTENV_PATH`, else `.env` in cwd), which never overrides a variable
 *      already set in the environment, even to an empty value;
 *   3. the YAML config file (`configPath`, else `CONFIG_PATH`, else `config.yaml` in cwd when it
 *      exists); a named file that does not exist is a problem, not a silent fallback;
 *   4. the embedded default (local folder storage, local cache, SQLite registry).
 * The `.env` and `config.yaml` found in the working directory (not named) are read only when the
 * user trusts that folder; otherwise they are left out with one warning (see WorkingFolderGate).
 * The environment selecting a different plugin type than the file drops the file's options for
 * that section: S3 options make no sense to an HTTP store. Every problem found on the way is
 * collected and thrown as one ConfigInvalidError. Nothing is created on disk here.
 *
 * Values are deep-frozen. Printing (`toJSON`, `redacted`, `util.inspect`) hides secrets.
 */
export class AssetConfig implements AssetConfigValues {
  readonly dataDir: string
  readonly cacheDir: string
  readonly storage: PluginSection
  readonly cache: CacheSection
  readonly registry: PluginSection
  readonly identity: IdentityConfig
  readonly users: Record<string, UserConfig>
  readonly allowInsecureStorage: boolean
  readonly pluginPaths: string[]
  readonly sources: Readonly<Record<ConfigField, ConfigSource>>
  /** The config file that was read, if any. */
  readonly configFile: string | undefined
  /** The `.env` file that was read, if any. */
  readonly dotenvFile: string | undefined
  /** `config.yaml` / `.env` of an untrusted working folder, found and not read. */
  readonly ignoredFiles: readonly string[]
  // Private so that printing the object never shows the environment's secrets.
  readonly #env: Env

  private constructor(resolved: Resolved, env: Env, files: { configFile?: string; dotenvFile?: string; ignored?: string[] }) {
    const v = deepFreeze(resolved.values)
    this.dataDir = v.dataDir
    this.cacheDir = v.cacheDir
    this.storage = v.storage
    this.cache = v.cache
    this.registry = v.registry
    this.identity = v.identity
    this.users = v.users
    this.allowInsecureStorage = v.allowInsecureStorage
    this.pluginPaths = v.pluginPaths
    this.sources = Object.freeze(resolved.sources)
    this.configFile = files.configFile
    this.dotenvFile = files.dotenvFile
    this.ignoredFiles = Object.freeze([...(files.ignored ?? [])])
    this.#env = env
  }

  /**
   * Reads the config file, `.env` and the environment. Synchronous, so it reads files only: a
   * `CONFIG_PATH` that is a URL is a problem here, and `loadAsync` reads it.
   */
  static load(options: LoadConfigOptions = {}): AssetConfig {
    const start = startLoad(options)
    let file: ConfigText = {}
    if (start.url !== undefined) {
      start.problems.push({ field: start.urlField, message: 'is a URL, which AssetConfig.load() cannot read; use await AssetConfig.loadAsync()' })
    } else file = readConfigFile(start.named, start.cwd, start.gate, start.problems)
    return AssetConfig.#finish(start, file, options)
  }

  /**
   * `load`, and a `CONFIG_PATH` (or `configPath`) that is an `https://` URL is fetched: with the
   * HTTP storage plugin's auth variables, `http://` only with ALLOW_INSECURE_STORAGE=true, at
   * most 1 MiB, within `configUrlTimeoutMs`. When the server cannot be reached (no connection,
   * a timeout, a 5xx) the last good copy is used with one warning; any other answer (401, 404,
   * a refused redirect, a bad certificate) is a problem, since the server did answer. A URL is
   * trusted as a named file is: whoever serves it chooses the plugins this process imports.
   */
  static async loadAsync(options: LoadConfigOptions = {}): Promise<AssetConfig> {
    const start = startLoad(options)
    if (start.url === undefined) return AssetConfig.#finish(start, readConfigFile(start.named, start.cwd, start.gate, start.problems), options)
    const logger = options.logger ?? consoleLogger
    const remote = await readConfigUrl(start.url, start, options, logger)
    const config = AssetConfig.#finish(start, remote.file, options)
    if (remote.fresh !== undefined) {
      // Only a config that loaded cleanly becomes the copy to fall back on.
      await remote.copy.keep(remote.fresh).catch((error: unknown) => {
        logger.warn(`config: could not keep a copy of ${remote.file.path} in ${remote.copy.path} (${errorCode(error)}); it cannot be used if the server is down`)
      })
    }
    return config
  }

  static #finish(start: LoadStart, file: ConfigText, options: LoadConfigOptions): AssetConfig {
    const { env, cwd, problems, gate, processEnv } = start
    const warning = gate.warning()
    if (warning !== undefined) (options.logger ?? consoleLogger).warn(warning)
    const origin = (name: string): ConfigSource => (processEnv[name] !== undefined ? 'env' : 'dotenv')
    // Relative folders in a fetched config are taken from the working folder, as the environment's are.
    const baseDir = file.path !== undefined && !file.remote ? dirname(file.path) : cwd
    const resolved = resolveConfig({ input: file.input, source: 'file', baseDir, where: file.path }, { env, cwd, origin, applyEnv: true }, problems)
    if (problems.length > 0) throw new ConfigInvalidError(problems)
    return new AssetConfig(resolved, env, { configFile: file.path, dotenvFile: start.dotenvFile, ignored: gate.ignored })
  }

  /**
   * A config from code, with the same defaults and validation as `load`. The environment only
   * supplies the default folders: what the code says is not overridden by stray variables.
   */
  static fromObject(input: AssetConfigInput, options: FromObjectOptions = {}): AssetConfig {
    const env = options.env ?? process.env
    const cwd = options.cwd ?? process.cwd()
    const problems: ConfigProblem[] = []
    const resolved = resolveConfig(
      { input: cloneData(input), source: 'code', baseDir: cwd },
      { env, cwd, origin: () => 'env', applyEnv: false },
      problems,
    )
    if (problems.length > 0) throw new ConfigInvalidError(problems)
    return new AssetConfig(resolved, env, {})
  }

  /** The resolved values, secrets included; for handing options to plugins. */
  get values(): AssetConfigValues {
    return {
      dataDir: this.dataDir,
      cacheDir: this.cacheDir,
      storage: this.storage,
      cache: this.cache,
      registry: this.registry,
      identity: this.identity,
      users: this.users,
      allowInsecureStorage: this.allowInsecureStorage,
      pluginPaths: [...this.pluginPaths],
    }
  }

  /** The values with every secret replaced by `***`: safe to print or log. */
  redacted(): AssetConfigValues {
    return redactSecrets(this.values)
  }

  toJSON(): AssetConfigValues {
    return this.redacted()
  }

  [Symbol.for('nodejs.util.inspect.custom')](): AssetConfigValues {
    return this.redacted()
  }

  /** What every plugin's `create` receives besides its options. */
  pluginContext(logger: Logger = consoleLogger): PluginContext {
    return {
      dataDir: this.dataDir,
      cacheDir: this.cacheDir,
      allowInsecureStorage: this.allowInsecureStorage,
      logger,
      env: this.#env,
    }
  }
}

interface LoadStart {
  processEnv: Env
  /** The environment with `.env` beneath it. */
  env: Env
  cwd: string
  gate: WorkingFolderGate
  problems: ConfigProblem[]
  dotenvFile?: string
  /** The config file named by `configPath` or CONFIG_PATH, with the name of which one. */
  named?: { path: string; field: string }
  /** Set instead when what is named is a URL. */
  url?: string
  urlField: string
}

/** Everything before the config file: the `.env` and which config is named. */
function startLoad(options: LoadConfigOptions): LoadStart {
  const processEnv = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const problems: ConfigProblem[] = []
  const gate = new WorkingFolderGate(cwd, { named: options.cwd !== undefined, env: processEnv })
  const dotenv = readDotenv(processEnv, cwd, gate, problems)
  const env: Env = { ...dotenv.values }
  for (const [name, value] of Object.entries(processEnv)) if (value !== undefined) env[name] = value
  const path = options.configPath ?? readVariable(env, 'CONFIG_PATH')
  const field = options.configPath !== undefined ? 'configPath' : 'CONFIG_PATH'
  const start: LoadStart = { processEnv, env, cwd, gate, problems, dotenvFile: dotenv.path, urlField: field }
  if (path !== undefined && isConfigUrl(path)) start.url = path
  else if (path !== undefined) start.named = { path, field }
  return start
}

/** Fetches the named URL, falling back to its last good copy when the server cannot be reached. */
async function readConfigUrl(
  url: string,
  start: LoadStart,
  options: LoadConfigOptions,
  logger: Logger,
): Promise<{ file: ConfigText; fresh?: string; copy: ConfigUrlCopy }> {
  const { env, cwd, problems, urlField: field } = start
  // Only the environment decides these: a fetched config cannot allow its own fetch or place its copy.
  const allowInsecure = mapGlobalEnv(env, []).allowInsecureStorage === true
  const copy = new ConfigUrlCopy(defaultPaths(env, cwd, readVariable(env, 'ASSETS_HOME')).cacheDir, url)
  const where = redactUrl(url)
  const result = await fetchConfigUrl(url, {
    env,
    allowInsecure,
    timeoutMs: options.configUrlTimeoutMs,
    maxBytes: MAX_CONFIG_FILE_BYTES,
    warn: (message) => logger.warn(message),
  })
  if ('text' in result) return { file: parseConfigText(result.text, where, true, problems), fresh: result.text, copy }
  if ('problem' in result) {
    problems.push({ field, message: result.problem })
    return { file: { path: where, remote: true }, copy }
  }
  const kept = await copy.read()
  if (kept === undefined) {
    problems.push({ field, message: `${result.unreachable}, and there is no earlier copy of it to use` })
    return { file: { path: where, remote: true }, copy }
  }
  logger.warn(`config: ${result.unreachable}; using the last good copy of it, fetched at ${kept.savedAt.toISOString()}`)
  return { file: parseConfigText(kept.text, where, true, problems), copy }
}

const consoleLogger: Logger = {
  warn: (message) => console.warn(message),
  info: (message) => console.info(message),
}

interface Layer {
  input: unknown
  source: 'file' | 'code'
  /** Relative folders in the layer are resolved against it. */
  baseDir: string
  /** The file, for problem messages. */
  where?: string
}

interface EnvLayer {
  env: Env
  cwd: string
  origin: (variable: string) => ConfigSource
  /** False for `fromObject`: the environment then only supplies default folders. */
  applyEnv: boolean
}

interface Resolved {
  values: AssetConfigValues
  sources: Record<ConfigField, ConfigSource>
}

function resolveConfig(layer: Layer, envLayer: EnvLayer, problems: ConfigProblem[]): Resolved {
  checkInput(layer, problems)
  const input = isRecord(layer.input) ? layer.input : {}
  const { env, applyEnv } = envLayer
  const sources: Record<ConfigField, ConfigSource> = {
    dataDir: 'default',
    cacheDir: 'default',
    storage: 'default',
    cache: 'default',
    registry: 'default',
    identity: 'default',
    users: 'default',
    allowInsecureStorage: 'default',
    pluginPaths: 'default',
  }
  const raise = (field: ConfigField, source: ConfigSource) => {
    if (RANK[source] >= RANK[sources[field]]) sources[field] = source
  }
  const globals = applyEnv ? mapGlobalEnv(env, problems) : { variables: [] }
  const folders = resolveFolders(input, layer, envLayer, globals.home, raise)
  checkFolders(folders, sources, problems)

  const values: AssetConfigValues = {
    dataDir: folders.dataDir,
    cacheDir: folders.cacheDir,
    storage: { type: DEFAULT_TYPES.storage },
    cache: { type: DEFAULT_TYPES.cache, enabled: true, ttl: DEFAULT_TTL_SECONDS },
    registry: { type: DEFAULT_TYPES.registry },
    identity: { groups: [], roles: [] },
    users: {},
    allowInsecureStorage: false,
    pluginPaths: [],
  }

  for (const kind of KINDS) {
    const section = resolveSection(kind, input[kind], layer, envLayer, folders, raise, problems)
    Object.assign(values, { [kind]: { ...values[kind], ...section } })
  }

  values.identity = resolveIdentity(input.identity, globals.user, problems)
  if (input.identity !== undefined) raise('identity', layer.source)
  if (globals.user !== undefined) raise('identity', envLayer.origin('ASSETS_USER'))

  values.users = resolveUsers(input.users, problems)
  if (input.users !== undefined) raise('users', layer.source)

  if (typeof input.allowInsecureStorage === 'boolean') {
    values.allowInsecureStorage = input.allowInsecureStorage
    raise('allowInsecureStorage', layer.source)
  }
  if (globals.allowInsecureStorage !== undefined) {
    values.allowInsecureStorage = globals.allowInsecureStorage
    raise('allowInsecureStorage', envLayer.origin('ALLOW_INSECURE_STORAGE'))
  }

  if (Array.isArray(input.pluginPaths)) {
    values.pluginPaths = stringList(input.pluginPaths).map((p) => resolve(layer.baseDir, p))
    raise('pluginPaths', layer.source)
  }
  const envPluginPath = applyEnv ? readVariable(env, 'ASSETS_PLUGIN_PATH') : undefined
  if (envPluginPath !== undefined) {
    // Like NODE_PATH: a list with the platform's delimiter; empty entries are ignored.
    values.pluginPaths = envPluginPath.split(delimiter).filter((p) => p !== '').map((p) => resolve(envLayer.cwd, p))
    raise('pluginPaths', envLayer.origin('ASSETS_PLUGIN_PATH'))
  }

  // A safety net for the merging above; only meaningful when the inputs were sound.
  if (problems.length === 0) problems.push(...schemaProblems(AssetConfigSchema, values))
  return { values, sources }
}

/**
 * One plugin section: the file's (or code's) section, then the environment's type and options.
 * An environment type that differs from the file's drops the file's plugin options.
 */
function resolveSection(
  kind: PluginKind,
  given: unknown,
  layer: Layer,
  envLayer: EnvLayer,
  folders: { dataDir: string; cacheDir: string },
  raise: (field: ConfigField, source: ConfigSource) => void,
  problems: ConfigProblem[],
): PluginSection {
  const section = isRecord(given) ? given : undefined
  if (section !== undefined) raise(kind, layer.source)
  const givenType = typeof section?.type === 'string' ? normalizePluginType(kind, section.type) : DEFAULT_TYPES[kind]
  let envType = envLayer.applyEnv ? envPluginType(kind, envLayer.env) : undefined
  if (envType !== undefined) raise(kind, envLayer.origin(TYPE_VARIABLES[kind]))
  // ASSETS_URL alone selects the asset server for both sections that the server holds: its
  // storage and its registry (a local cache stays in front), unless a type is chosen for them.
  if (envType === undefined && kind !== 'cache' && typeof section?.type !== 'string' && envLayer.applyEnv && readVariable(envLayer.env, 'ASSETS_URL') !== undefined) {
    envType = 'remote'
    raise(kind, envLayer.origin('ASSETS_URL'))
  }
  const type = envType ?? givenType
  const keepOptions = envType === undefined || envType === givenType
  const fromLayer: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(section ?? {})) {
    if (name === 'type') continue
    const generic = kind === 'cache' && (CACHE_GENERIC_FIELDS as readonly string[]).includes(name)
    if (keepOptions || generic) fromLayer[name] = value
  }
  const mapped = envLayer.applyEnv ? mapSectionEnv(kind, type, envLayer.env, problems) : { options: {}, variables: [] }
  for (const variable of mapped.variables) raise(kind, envLayer.origin(variable))
  return { type, ...defaultOptions(kind, type, folders), ...fromLayer, ...mapped.options }
}

function resolveFolders(
  input: Record<string, unknown>,
  layer: Layer,
  envLayer: EnvLayer,
  envHome: string | undefined,
  raise: (field: ConfigField, source: ConfigSource) => void,
): { dataDir: string; cacheDir: string } {
  const { env, cwd } = envLayer
  if (envHome !== undefined) {
    const source = envLayer.origin('ASSETS_HOME')
    raise('dataDir', source)
    raise('cacheDir', source)
    return defaultPaths(env, cwd, envHome)
  }
  const home = typeof input.home === 'string' ? input.home : undefined
  // For code, ASSETS_HOME is a default below what the code gives; for load() it was handled above.
  const fallbackHome = home === undefined && !envLayer.applyEnv ? readVariable(env, 'ASSETS_HOME') : undefined
  const base =
    home !== undefined ? defaultPaths(env, layer.baseDir, home) : defaultPaths(env, cwd, fallbackHome)
  const folder = (field: 'dataDir' | 'cacheDir'): string => {
    const given = input[field]
    if (typeof given === 'string' && given !== '') {
      raise(field, layer.source)
      return resolve(layer.baseDir, given)
    }
    if (home !== undefined) raise(field, layer.source)
    else if (fallbackHome !== undefined) raise(field, 'env')
    return base[field]
  }
  return { dataDir: folder('dataDir'), cacheDir: folder('cacheDir') }
}

/**
 * A data or cache folder that is a file (`ASSETS_HOME=/etc/hosts`) would otherwise fail later
 * as an unavailable backend; it is a mistake in the config, so it is reported as one.
 */
function checkFolders(folders: { dataDir: string; cacheDir: string }, sources: Record<ConfigField, ConfigSource>, problems: ConfigProblem[]): void {
  const reported = new Set<string>()
  for (const field of ['dataDir', 'cacheDir'] as const) {
    const name = sources[field] === 'env' || sources[field] === 'dotenv' ? 'ASSETS_HOME' : field
    const blocker = fileInTheWay(folders[field])
    if (blocker === undefined || reported.has(name)) continue
    reported.add(name)
    const what = blocker === folders[field] ? 'it is' : `${blocker} is`
    problems.push({ field: name, message: `${folders[field]} cannot be a folder: ${what} a file` })
  }
}

/** The path at or above `folder` that exists and is not a folder, if any. */
function fileInTheWay(folder: string): string | undefined {
  for (let path = folder; ; path = dirname(path)) {
    try {
      const stat = statSync(path, { throwIfNoEntry: false })
      if (stat !== undefined) return stat.isDirectory() ? undefined : path
    } catch {
      // ENOTDIR: something above is a file; the loop reaches it.
    }
    if (dirname(path) === path) return undefined
  }
}

// Where the embedded default keeps things; only for the built-in types that need a path.
function defaultOptions(kind: PluginKind, type: string, folders: { dataDir: string; cacheDir: string }) {
  if (kind === 'storage' && type === 'local') return { path: join(folders.dataDir, 'storage') }
  if (kind === 'cache' && type === 'local') return { path: folders.cacheDir }
  if (kind === 'registry' && type === 'sqlite') return { path: join(folders.dataDir, 'registry.db') }
  return {}
}

/**
 * The identity section is one user's: its groups and roles belong to its `user`. ASSETS_USER
 * names who acts, exactly as `--as` does, so naming someone else leaves those groups and roles
 * behind (as a variable selecting another plugin type drops the file's options).
 */
function resolveIdentity(given: unknown, envUser: string | undefined, problems: ConfigProblem[]): IdentityConfig {
  const identity = isRecord(given) ? given : {}
  const fileUser = typeof identity.user === 'string' ? identity.user : undefined
  const user = envUser ?? fileUser
  const groups = stringList(identity.groups)
  const roles = stringList(identity.roles)
  checkPrincipals('group', groups, 'identity.groups', problems)
  checkPrincipals('role', roles, 'identity.roles', problems)
  const sameUser = envUser === undefined || envUser === fileUser
  const result: IdentityConfig = { groups: sameUser ? groups : [], roles: sameUser ? roles : [] }
  if (user !== undefined) {
    result.user = user
    checkPrincipal(`user:${user}`, envUser !== undefined ? 'ASSETS_USER' : 'identity.user', problems)
  }
  return result
}

function resolveUsers(given: unknown, problems: ConfigProblem[]): Record<string, UserConfig> {
  const users: Record<string, UserConfig> = {}
  if (!isRecord(given)) return users
  for (const [name, entry] of Object.entries(given)) {
    const e = isRecord(entry) ? entry : {}
    const user: UserConfig = { groups: stringList(e.groups), roles: stringList(e.roles) }
    checkPrincipal(`user:${name}`, `users.${name}`, problems)
    checkPrincipals('group', user.groups, `users.${name}.groups`, problems)
    checkPrincipals('role', user.roles, `users.${name}.roles`, problems)
    users[name] = user
  }
  return users
}

function checkPrincipals(prefix: 'group' | 'role', names: string[], field: string, problems: ConfigProblem[]): void {
  names.forEach((name, i) => {
    checkPrincipal(`${prefix}:${name}`, `${field}.${i}`, problems)
  })
}

// Uses the access-control rules themselves, so a name accepted here is one the ACLs accept.
function checkPrincipal(principal: string, field: string, problems: ConfigProblem[]): void {
  try {
    validatePrincipal(principal)
  } catch (error) {
    if (!AssetError.isInstance(error)) throw error
    problems.push({ field, message: error.message })
  }
}

function checkInput(layer: Layer, problems: ConfigProblem[]): void {
  if (layer.input === undefined || layer.input === null) return
  const suffix = layer.where === undefined ? '' : ` (in ${layer.where})`
  if (!isRecord(layer.input)) {
    problems.push({ field: layer.where ?? 'config', message: 'expected a mapping of config fields at the top level' })
    return
  }
  for (const p of schemaProblems(AssetConfigInputSchema, layer.input)) {
    const topLevel = p.message === 'unknown field' && !p.field.includes('.')
    const message = topLevel ? `unknown field; expected one of ${KNOWN_FIELDS}` : p.message
    problems.push({ field: p.field, message: message + suffix })
  }
  for (const kind of KINDS) {
    const section = layer.input[kind]
    if (isRecord(section) && typeof section.type === 'string' && section.type.trim() === '') {
      problems.push({ field: `${kind}.type`, message: `must name a plugin${suffix}` })
    }
  }
}

const KNOWN_FIELDS = Object.keys(AssetConfigInputSchema.properties).join(', ')

function readDotenv(env: Env, cwd: string, gate: WorkingFolderGate, problems: ConfigProblem[]): { values: Record<string, string>; path?: string } {
  const named = readVariable(env, 'DOTENV_PATH')
  const path = resolve(cwd, named ?? '.env')
  if (named === undefined && !gate.allows(path)) return { values: {} }
  const text = readLimitedFile(path, named === undefined ? undefined : 'DOTENV_PATH', problems)
  if (text === undefined) return { values: {} }
  const parsed = parseDotenv(text)
  for (const p of parsed.problems) problems.push({ field: path, message: `line ${p.line}: ${p.message}` })
  return { values: parsed.values, path }
}

interface ConfigText {
  input?: unknown
  /** The file read, or the URL fetched with its secrets hidden. */
  path?: string
  remote?: boolean
}

function readConfigFile(
  named: { path: string; field: string } | undefined,
  cwd: string,
  gate: WorkingFolderGate,
  problems: ConfigProblem[],
): ConfigText {
  const path = resolve(cwd, named?.path ?? 'config.yaml')
  if (named === undefined && !gate.allows(path)) return {}
  const text = readLimitedFile(path, named?.field, problems)
  if (text === undefined) return {}
  return parseConfigText(text, path, false, problems)
}

// A config is data: no custom tags, and a cap on aliases so that a "billion laughs" file
// cannot exhaust memory.
function parseConfigText(text: string, path: string, remote: boolean, problems: ConfigProblem[]): ConfigText {
  const { value, problems: yamlProblems } = parseDataYaml(text)
  for (const p of yamlProblems) problems.push({ field: path, message: `malformed YAML${yamlPosition(p)}: ${p.message}` })
  return yamlProblems.length > 0 ? { path, remote } : { input: value, path, remote }
}

/**
 * The file's text; undefined when it does not exist. An absent file is a problem only when it
 * was named explicitly (`field` is the variable or option that named it).
 */
function readLimitedFile(path: string, field: string | undefined, problems: ConfigProblem[]): string | undefined {
  let stat: ReturnType<typeof statSync>
  try {
    stat = statSync(path, { throwIfNoEntry: false })
  } catch (error) {
    problems.push({ field: field ?? path, message: `cannot read ${path}: ${errorCode(error)}` })
    return undefined
  }
  if (stat === undefined) {
    if (field !== undefined) problems.push({ field, message: `file ${path} does not exist` })
    return undefined
  }
  if (!stat.isFile()) {
    problems.push({ field: field ?? path, message: `${path} is not a file` })
    return undefined
  }
  if (stat.size > MAX_CONFIG_FILE_BYTES) {
    problems.push({ field: field ?? path, message: `${path} is ${stat.size} bytes; config files may be at most 1 MiB` })
    return undefined
  }
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    problems.push({ field: field ?? path, message: `cannot read ${path}: ${errorCode(error)}` })
    return undefined
  }
}

function errorCode(error: unknown): string {
  return isRecord(error) && typeof error.code === 'string' ? error.code : 'read failed'
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// Copies plain data only, so freezing never reaches objects the caller still owns.
function cloneData<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => cloneData(v)) as T
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = cloneData(v)
    return out as T
  }
  return value
}

function deepFreeze<T>(value: T): T {
  if (Array.isArray(value) || isPlainObject(value)) {
    for (const v of Object.values(value as object)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
