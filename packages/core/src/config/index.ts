export { AssetConfig, MAX_CONFIG_FILE_BYTES } from './asset-config.js'
export type { ConfigField, ConfigSource, FromObjectOptions, LoadConfigOptions } from './asset-config.js'
export { AssetConfigInputSchema, AssetConfigSchema, schemaProblems } from './config-schema.js'
export type {
  AssetConfigInput,
  AssetConfigValues,
  CacheSection,
  IdentityConfig,
  PluginSection,
  RegistrySection,
  StorageSection,
  UserConfig,
} from './config-schema.js'
export { defaultPaths, type DefaultPaths } from './default-paths.js'
export { parseDotenv, type DotenvProblem, type DotenvResult } from './dotenv.js'
export {
  envPluginType,
  normalizePluginType,
  OPTION_VARIABLES,
  TYPE_VARIABLES,
  type OptionVariable,
} from './env-mapping.js'
export { isSecretField, REDACTED, redactSecrets, redactUrl } from './redact.js'
