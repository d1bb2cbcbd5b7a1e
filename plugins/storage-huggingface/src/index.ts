import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { type HuggingFaceStorageOptions, huggingFaceStorageOptionsSchema } from './hf-options.js'
import { HuggingFaceStorage } from './hf-storage.js'
import type { HubContext } from './hub-target.js'

export { HuggingFaceStorage } from './hf-storage.js'
export { DEFAULT_ENDPOINT, type HuggingFaceStorageOptions, huggingFaceStorageOptionsSchema, type RepoType } from './hf-options.js'
export type { HubContext } from './hub-target.js'
export type { RepositoryDownload, RepositoryDownloadOptions, RepositoryFile } from './repository-download.js'
export { type RevisionTag, versionFromRevision, versionTag } from './revision-version.js'

/**
 * A store in a Hugging Face Hub repository. Creating it does no I/O; options are checked here
 * (ConfigInvalidError), and plain http:// endpoints are refused unless `allowInsecureStorage`.
 */
export function createHuggingFaceStorage(options: HuggingFaceStorageOptions, context: HubContext = {}): HuggingFaceStorage {
  return new HuggingFaceStorage(options, context)
}

export default definePlugin({
  kind: 'storage',
  name: 'huggingface',
  specificationVersion: SPECIFICATION_VERSION,
  options: huggingFaceStorageOptionsSchema,
  create: (options, context) => createHuggingFaceStorage(options, { allowInsecureStorage: context.allowInsecureStorage, env: context.env, cacheDir: context.cacheDir }),
})
