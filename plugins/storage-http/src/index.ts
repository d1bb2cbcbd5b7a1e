import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { type HttpStorageOptions, httpStorageOptionsSchema } from './http-options.js'
import type { HttpStorageContext } from './http-settings.js'
import { HttpStorage } from './http-storage.js'

export { HttpStorage } from './http-storage.js'
export { type HttpAuthType, type HttpStorageOptions, httpStorageOptionsSchema } from './http-options.js'
export type { HttpStorageContext } from './http-settings.js'
export type { HttpDownloadOptions } from './resumable-download.js'

/**
 * Storage behind an HTTP(S) URL: any web server for reading, WebDAV for writing. Creating it
 * checks the options (https:// unless insecure storage is allowed) and connects nothing.
 */
export function createHttpStorage(options: HttpStorageOptions, context: HttpStorageContext = {}): HttpStorage {
  return new HttpStorage(options, context)
}

export default definePlugin({
  kind: 'storage',
  name: 'http',
  specificationVersion: SPECIFICATION_VERSION,
  options: httpStorageOptionsSchema,
  create: (options, context) => createHttpStorage(options, context),
})
