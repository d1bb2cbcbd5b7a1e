export { AssetConfig, MAX_CONFIG_FILE_BYTES } from './asset-config.js'
export { CONFIG_URL_TIMEOUT_MS, isConfigUrl } from './config-url.js'
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
export { defaultPaths, type DefaultPaths, userConfigDir } from './default-paths.js'
export {
  FOLDER_CONFIG_FILES,
  type FolderTrustOptions,
  type FolderTrustState,
  folderTrust,
  listTrustedFolders,
  revokeFolder,
  type TrustedFolder,
  type TrustedFolderState,
  trustFilePath,
  trustFolder,
} from './folder-trust.js'
export { parseDotenv, type DotenvProblem, type DotenvResult } from './dotenv.js'
export {
  envPluginType,
  normalizePluginType,
  OPTION_VARIABLES,
  TYPE_VARIABLES,
  type OptionVariable,
} from './env-mapping.js'
export { isSecretField, isSecretPath, REDACTED, redactSecrets, redactUrl } from './redact.js'
