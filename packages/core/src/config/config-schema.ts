import { type TSchema, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { ConfigProblem } from '../errors/index.js'
import { isSecretPath, redactUrl } from './redact.js'

/**
 * The section of one plugin: `type` picks the plugin (a built-in name or a package name), the
 * other fields are that plugin's options, which the plugin loader validates against the
 * plugin's own schema. They are left open here on purpose.
 */
export interface PluginSection {
  type: string
  [option: string]: unknown
}

export interface StorageSection extends PluginSection {}

export interface CacheSection extends PluginSection {
  enabled: boolean
  /** Seconds a mutable look-up (an alias such as `latest`, metadata) stays cached. */
  ttl: number
}

export interface RegistrySection extends PluginSection {}

/** Who this process acts as by default. */
export interface IdentityConfig {
  user?: string
  groups: string[]
  roles: string[]
}

/** Groups and roles of a user, applied when acting as that user. */
export interface UserConfig {
  groups: string[]
  roles: string[]
}

/** The resolved configuration: every field present. */
export interface AssetConfigValues {
  dataDir: string
  cacheDir: string
  storage: StorageSection
  cache: CacheSection
  registry: RegistrySection
  identity: IdentityConfig
  users: Record<string, UserConfig>
  allowInsecureStorage: boolean
  /** Absolute folders where third-party plugin packages are also looked for. */
  pluginPaths: string[]
}

/** What a config file or `AssetConfig.fromObject` may give: any part of the resolved shape. */
export interface AssetConfigInput {
  /** One folder for data and cache, like `ASSETS_HOME`. */
  home?: string
  dataDir?: string
  cacheDir?: string
  storage?: Partial<PluginSection>
  cache?: Partial<CacheSection>
  registry?: Partial<PluginSection>
  identity?: Partial<IdentityConfig>
  users?: Record<string, Partial<UserConfig>>
  allowInsecureStorage?: boolean
  /** Folders of plugin packages; relative ones are resolved against the config file's folder. */
  pluginPaths?: string[]
}

const Name = Type.String({ minLength: 1, maxLength: 128 })
const Names = Type.Array(Name)
const Folder = Type.String({ minLength: 1 })
const PluginType = Type.Optional(Type.String({ minLength: 1 }))

/** Schema of the config file (and of `fromObject`'s input): unknown top-level fields are errors. */
export const AssetConfigInputSchema = Type.Object(
  {
    home: Type.Optional(Folder),
    dataDir: Type.Optional(Folder),
    cacheDir: Type.Optional(Folder),
    storage: Type.Optional(Type.Object({ type: PluginType }, { additionalProperties: true })),
    cache: Type.Optional(
      Type.Object(
        { type: PluginType, enabled: Type.Optional(Type.Boolean()), ttl: Type.Optional(Type.Number({ minimum: 0 })) },
        { additionalProperties: true },
      ),
    ),
    registry: Type.Optional(Type.Object({ type: PluginType }, { additionalProperties: true })),
    identity: Type.Optional(
      Type.Object(
        { user: Type.Optional(Name), groups: Type.Optional(Names), roles: Type.Optional(Names) },
        { additionalProperties: false },
      ),
    ),
    users: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object({ groups: Type.Optional(Names), roles: Type.Optional(Names) }, { additionalProperties: false }),
      ),
    ),
    allowInsecureStorage: Type.Optional(Type.Boolean()),
    pluginPaths: Type.Optional(Type.Array(Folder, { maxItems: 64 })),
  },
  { additionalProperties: false },
)

const Section = (extra: Parameters<typeof Type.Object>[0] = {}) =>
  Type.Object({ type: Type.String({ minLength: 1 }), ...extra }, { additionalProperties: true })

/** Schema of the resolved configuration; `AssetConfig` checks its result against it. */
export const AssetConfigSchema = Type.Object(
  {
    dataDir: Folder,
    cacheDir: Folder,
    storage: Section(),
    cache: Section({ enabled: Type.Boolean(), ttl: Type.Number({ minimum: 0 }) }),
    registry: Section(),
    identity: Type.Object(
      { user: Type.Optional(Name), groups: Names, roles: Names },
      { additionalProperties: false },
    ),
    users: Type.Record(Type.String(), Type.Object({ groups: Names, roles: Names }, { additionalProperties: false })),
    allowInsecureStorage: Type.Boolean(),
    pluginPaths: Type.Array(Folder),
  },
  { additionalProperties: false },
)

/**
 * One problem per bad field, the JSON pointer turned into a dotted field under `prefix`.
 * typebox reports a missing property twice ("required", then the type); the first one says it.
 * The offending value is shown when it is a short scalar in a field whose path has no
 * secret-looking name, so `port: expected integer, got "abc"` helps and a password never shows.
 */
export function schemaProblems(schema: TSchema, value: unknown, prefix = ''): ConfigProblem[] {
  const seen = new Set<string>()
  const problems: ConfigProblem[] = []
  for (const error of Value.Errors(schema, value)) {
    const segments = pointerSegments(error.path)
    const path = [prefix, ...segments].filter((s) => s !== '').join('.')
    const base = error.message === 'Unexpected property' ? 'unknown field' : lowerFirst(error.message)
    const secret = isSecretPath(segments)
    const message = !secret && base !== 'unknown field' ? base + shownValue(error.value) : base
    const field = path === '' ? 'config' : path
    if (seen.has(field)) continue
    seen.add(field)
    problems.push({ field, message })
  }
  return problems
}

function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function shownValue(value: unknown): string {
  if (typeof value === 'string') {
    const text = redactUrl(value)
    return `, got ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return `, got ${String(value)}`
  return ''
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}
