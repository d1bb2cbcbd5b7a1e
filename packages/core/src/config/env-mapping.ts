import type { ConfigProblem } from '../errors/index.js'
import type { PluginKind } from '../contracts/index.js'

type Env = Record<string, string | undefined>

/**
 * Spellings of the built-in plugin names, compared lower-cased without punctuation, so the
 * seed's `LocalStorage`, `S3Storage` or `huggingface_hub` keep working. A name not listed here
 * is kept as written: it is a package to import (`@acme/assets-storage-gcs`).
 */
const TYPE_ALIASES: Record<PluginKind, Record<string, string>> = {
  storage: {
    local: 'local',
    localstorage: 'local',
    file: 'local',
    filesystem: 'local',
    s3: 's3',
    s3storage: 's3',
    minio: 's3',
    http: 'http',
    https: 'http',
    httpstorage: 'http',
    huggingface: 'huggingface',
    hf: 'huggingface',
    huggingfacestorage: 'huggingface',
    hfstorage: 'huggingface',
    huggingfacehub: 'huggingface',
    remote: 'remote',
    server: 'remote',
  },
  cache: { local: 'local', localcache: 'local', disk: 'local', filesystem: 'local', redis: 'redis', rediscache: 'redis', memcached: 'memcached', memcache: 'memcached', memcachedcache: 'memcached', s3: 's3', s3cache: 's3' },
  registry: { sqlite: 'sqlite', sqlite3: 'sqlite', postgres: 'postgres', postgresql: 'postgres', pg: 'postgres', mysql: 'mysql', mariadb: 'mysql', remote: 'remote', server: 'remote' },
}

export function normalizePluginType(kind: PluginKind, type: string): string {
  const trimmed = type.trim()
  // Own entries only: a type named `constructor` or `__proto__` is a package name, not Object's.
  const aliases = TYPE_ALIASES[kind]
  const alias = trimmed.toLowerCase().replace(/[^a-z0-9]/g, '')
  return Object.hasOwn(aliases, alias) ? (aliases[alias] as string) : trimmed
}

/** The variable that selects each section's plugin. */
export const TYPE_VARIABLES: Record<PluginKind, string> = {
  storage: 'STORAGE_TYPE',
  cache: 'CACHE_TYPE',
  registry: 'DB_TYPE',
}

type Parsed = { value: unknown } | { problem: string }
type Parser = (raw: string) => Parsed

export interface OptionVariable {
  variable: string
  /** The option it sets inside the section. */
  field: string
  parse: Parser
}

const text: Parser = (raw) => ({ value: raw })

const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false, on: true, off: false }
const boolean: Parser = (raw) => {
  const value = BOOLEANS[raw.trim().toLowerCase()]
  return value === undefined ? { problem: `expected true/false, 1/0, yes/no or on/off, got ${show(raw)}` } : { value }
}

const port: Parser = (raw) => {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN
  return n >= 1 && n <= 65535 ? { value: n } : { problem: `expected a port number (1-65535), got ${show(raw)}` }
}

const seconds: Parser = (raw) => {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN
  return Number.isFinite(n) ? { value: n } : { problem: `expected a non-negative number of seconds, got ${show(raw)}` }
}

const AUTH_TYPES: Record<string, string> = { none: 'None', basic: 'Basic', bearer: 'Bearer', apikey: 'APIKey' }
const authType: Parser = (raw) => {
  const value = AUTH_TYPES[raw.toLowerCase().replace(/[^a-z]/g, '')]
  return value === undefined ? { problem: `expected None, Basic, Bearer or APIKey, got ${show(raw)}` } : { value }
}

// Headers usually carry credentials, so neither the text nor JSON.parse's message (which
// quotes the text) may appear in the problem.
const headers: Parser = (raw) => {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return { problem: 'is not valid JSON; expected an object of header names to string values' }
  }
  const ok =
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((v) => typeof v === 'string')
  return ok ? { value: parsed } : { problem: 'expected a JSON object of header names to string values' }
}

/** How to reach S3: the same variables for the S3 storage and the S3 cache. */
const S3_CONNECTION: OptionVariable[] = [
  { variable: 'S3_REGION', field: 'region', parse: text },
  { variable: 'S3_ENDPOINT_URL', field: 'endpoint', parse: text },
  { variable: 'S3_USE_SSL', field: 'useSsl', parse: boolean },
  { variable: 'AWS_ACCESS_KEY_ID', field: 'accessKeyId', parse: text },
  { variable: 'AWS_SECRET_ACCESS_KEY', field: 'secretAccessKey', parse: text },
]

/** The seed's connection variables of a database server (PostgreSQL, MySQL/MariaDB). */
// The asset server's address and this client's token: the same for its storage and its registry.
const REMOTE_CONNECTION: OptionVariable[] = [
  { variable: 'ASSETS_URL', field: 'url', parse: text },
  { variable: 'ASSETS_TOKEN', field: 'token', parse: text },
]

const DB_CONNECTION: OptionVariable[] = [
  { variable: 'DB_HOST', field: 'host', parse: text },
  { variable: 'DB_PORT', field: 'port', parse: port },
  { variable: 'DB_NAME', field: 'database', parse: text },
  { variable: 'DB_USER', field: 'user', parse: text },
  { variable: 'DB_PASSWORD', field: 'password', parse: text },
  { variable: 'DB_SSL_MODE', field: 'sslMode', parse: text },
]

/**
 * Backend options by section and plugin type. A variable is only read when the section's
 * resolved type matches, so a stray `AWS_ACCESS_KEY_ID` cannot leak into local storage.
 * `*` applies whatever the type.
 */
export const OPTION_VARIABLES: Record<PluginKind, Record<string, OptionVariable[]>> = {
  storage: {
    s3: [{ variable: 'S3_BUCKET', field: 'bucket', parse: text }, { variable: 'S3_PREFIX', field: 'prefix', parse: text }, ...S3_CONNECTION],
    http: [
      { variable: 'HTTP_STORAGE_BASE_URL', field: 'baseUrl', parse: text },
      { variable: 'HTTP_STORAGE_AUTH_TYPE', field: 'authType', parse: authType },
      { variable: 'HTTP_STORAGE_AUTH_TOKEN', field: 'authToken', parse: text },
      { variable: 'HTTP_STORAGE_USERNAME', field: 'username', parse: text },
      { variable: 'HTTP_STORAGE_PASSWORD', field: 'password', parse: text },
      { variable: 'HTTP_STORAGE_VERIFY_SSL', field: 'verifySsl', parse: boolean },
      { variable: 'HTTP_STORAGE_HEADERS', field: 'headers', parse: headers },
    ],
    huggingface: [{ variable: 'HF_TOKEN', field: 'token', parse: text }],
    // How blob bytes move: through the server, or through presigned URLs the server hands out.
    remote: [...REMOTE_CONNECTION, { variable: 'ASSETS_TRANSFER', field: 'transfer', parse: text }],
  },
  cache: {
    '*': [
      { variable: 'CACHE_ENABLED', field: 'enabled', parse: boolean },
      { variable: 'CACHE_TTL', field: 'ttl', parse: seconds },
    ],
    redis: [{ variable: 'REDIS_URL', field: 'url', parse: text }],
    memcached: [
      { variable: 'MEMCACHED_SERVERS', field: 'servers', parse: text },
      { variable: 'MEMCACHED_USERNAME', field: 'username', parse: text },
      { variable: 'MEMCACHED_PASSWORD', field: 'password', parse: text },
    ],
    // The store's connection variables; a bucket of its own for the cache, when given, wins
    // (the default prefix, assets-cache/, keeps the cache apart from a store in the same bucket).
    s3: [
      { variable: 'S3_BUCKET', field: 'bucket', parse: text },
      { variable: 'CACHE_S3_BUCKET', field: 'bucket', parse: text },
      { variable: 'CACHE_S3_PREFIX', field: 'prefix', parse: text },
      ...S3_CONNECTION,
    ],
  },
  registry: {
    remote: REMOTE_CONNECTION,
    sqlite: [{ variable: 'DB_PATH', field: 'path', parse: text }],
    postgres: DB_CONNECTION,
    mysql: DB_CONNECTION,
  },
}

/** An empty variable counts as unset: `.env` templates are full of `DB_PASSWORD=`. */
export function readVariable(env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

/** The plugin type the environment selects for a section, normalised; undefined when unset. */
export function envPluginType(kind: PluginKind, env: Env): string | undefined {
  const raw = readVariable(env, TYPE_VARIABLES[kind])
  return raw === undefined ? undefined : normalizePluginType(kind, raw)
}

export interface MappedSection {
  options: Record<string, unknown>
  /** The variables that were read, to say where the section came from. */
  variables: string[]
}

/** The options the environment sets for a section whose resolved type is `type`. */
export function mapSectionEnv(kind: PluginKind, type: string, env: Env, problems: ConfigProblem[]): MappedSection {
  const table = OPTION_VARIABLES[kind]
  const options: Record<string, unknown> = {}
  const variables: string[] = []
  for (const entry of [...(table['*'] ?? []), ...(Object.hasOwn(table, type) ? (table[type] ?? []) : [])]) {
    const raw = readVariable(env, entry.variable)
    if (raw === undefined) continue
    const parsed = entry.parse(raw)
    if ('problem' in parsed) problems.push({ field: entry.variable, message: parsed.problem })
    else options[entry.field] = parsed.value
    variables.push(entry.variable)
  }
  return { options, variables }
}

export interface MappedGlobals {
  home?: string
  user?: string
  allowInsecureStorage?: boolean
  variables: string[]
}

/** The variables outside the plugin sections. */
export function mapGlobalEnv(env: Env, problems: ConfigProblem[]): MappedGlobals {
  const out: MappedGlobals = { variables: [] }
  const home = readVariable(env, 'ASSETS_HOME')
  if (home !== undefined) {
    out.home = home
    out.variables.push('ASSETS_HOME')
  }
  const user = readVariable(env, 'ASSETS_USER')
  if (user !== undefined) {
    out.user = user
    out.variables.push('ASSETS_USER')
  }
  const insecure = readVariable(env, 'ALLOW_INSECURE_STORAGE')
  if (insecure !== undefined) {
    const parsed = boolean(insecure)
    if ('problem' in parsed) problems.push({ field: 'ALLOW_INSECURE_STORAGE', message: parsed.problem })
    else out.allowInsecureStorage = parsed.value === true
    out.variables.push('ALLOW_INSECURE_STORAGE')
  }
  return out
}

// Only ever called for non-secret variables; long values are cut so a pasted blob stays readable.
function show(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw)
}
