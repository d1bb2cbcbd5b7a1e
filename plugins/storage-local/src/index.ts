import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { type LocalStorageOptions, localStorageOptionsSchema } from './local-options.js'
import { LocalStorage } from './local-storage.js'

export { LOCAL_STORAGE_CAPABILITIES, LocalStorage } from './local-storage.js'
export { type LocalStorageOptions, localStorageOptionsSchema } from './local-options.js'

/** A store in a local folder. Creating it touches nothing; the folder is made on the first write. */
export function createLocalStorage(options: LocalStorageOptions): LocalStorage {
  return new LocalStorage(options)
}

export default definePlugin({
  kind: 'storage',
  name: 'local',
  specificationVersion: SPECIFICATION_VERSION,
  options: localStorageOptionsSchema,
  create: (options) => createLocalStorage(options),
})
