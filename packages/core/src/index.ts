export * from './errors/index.js'
export * from './contracts/index.js'
export * from './acl.js'
export {
  API_TOKEN_ID,
  API_TOKEN_PREFIX,
  authenticateToken,
  hashTokenSecret,
  MAX_TOKEN_LIFETIME_MS,
  type MintedApiToken,
  mintApiToken,
  parseApiToken,
  parseDuration,
} from './api-tokens.js'
export * from './asset-record.js'
export * from './atomic-file.js'
export * from './digest.js'
export * from './key.js'
export { fileNameOf, MAX_FILE_NAME_BYTES, validateFileName } from './file-name.js'
export { type DataYamlLimits, type DataYamlProblem, MAX_YAML_ALIASES, MAX_YAML_DEPTH, MAX_YAML_NODES, parseDataYaml, yamlPosition } from './data-yaml.js'
export { checkDescription, checkMetadata, MAX_DESCRIPTION_BYTES, MAX_METADATA_BYTES, MAX_METADATA_DEPTH } from './metadata-limits.js'
export { checkLocation } from './location.js'
export { NO_HARDLINK_CODES, NO_REFLINK_CODES } from './link-errors.js'
export { checkPresignRequest, checkPresignTarget, MAX_PRESIGN_EXPIRES_SECONDS, MAX_PRESIGNED_PUT_BYTES } from './presign-request.js'
export { readOnlyModesHold } from './write-protection.js'
export * from './query.js'
export { METADATA_SIGNATURE_BITS, metadataSignature, querySignature } from './metadata-signature.js'
export * from './semver.js'
export * from './transfer/index.js'
export * from './specs/index.js'
export * from './declarative/index.js'
export { BaseAssetManager, type AssetInfo, type AssetLineageOptions, type LineageResult } from './manager/base-asset-manager.js'
export type { GetOptions, StreamOptions } from './manager/fetch-asset.js'
export type { GcOptions, GcReport, VerifyOptions, VerifyProblem, VerifyReport } from './manager/maintenance.js'
export type { ManagerParts, RegisteredValidator } from './manager/manager-parts.js'
export { checkOptions, type ManagerSource, stackOf } from './manager/manager-source.js'
export { checkManifestPath, type FolderFile, folderDigest, listFolderFiles } from './manager/folder-manifest.js'
export { validateTag, type PutOptions, type PutProgress, type PutResult } from './manager/put-asset.js'
export type { StoredContentClaim } from './manager/stored-content.js'
export { BLOB_PREFIX, readManifest, STAGING_PREFIX } from './manager/content-store.js'
export { runBatchesOnThreads, type ThreadBatchJob } from './manager/thread-batches.js'
export {
  type DescribeReferenceOptions,
  type ExternalReference,
  isUnhashedReference,
  normalizeEndpoint as normalizeReferenceEndpoint,
  pinDigestOf,
  REFERENCE_METADATA,
  type ReferenceReaders,
  referenceOf,
} from './manager/external-reference.js'
export { createReferenceReaders } from './plugins/reference-readers.js'
export * from './config/index.js'
export {
  BUILTIN_PLUGINS,
  defaultImporter,
  listBuiltinPlugins,
  loadPlugin,
  resolvePluginPackage,
  type BuiltinPlugin,
  type LoadPluginOptions,
  type ResolvedPluginPackage,
} from './plugins/plugin-loader.js'
export {
  type InstalledPlugin,
  type LocatedPlugin,
  type PluginImporter,
  type PluginOrigin,
  PluginSearch,
  type PluginSearchOptions,
  type SearchRoot,
} from './plugins/plugin-search.js'
export { actorFor, createAssetManager, type CreateAssetManagerOptions } from './create-asset-manager.js'
// Plugins declare their options with core's own copy of typebox, so that schemas and checks agree.
export { type Static, type TSchema, Type } from '@sinclair/typebox'
export { Value } from '@sinclair/typebox/value'
export { isoTime, nonEmpty, normalizeRecord, registerAuditEntries } from './record-checks.js'
export { checkLeaseArguments } from './lease-arguments.js'
export { CLAIM_TTL_MS, ContentLease, HOLD_TTL_MS } from './manager/content-lease.js'
export { buildMetadataConflict, type VersionColumns, versionColumns, versionOrderSql } from './version-columns.js'
