import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { rangedContentSettings } from './ranged-content.js'
import { type RemoteOptions, remoteOptionsSchema } from './remote-options.js'
import { RemoteStorage } from './remote-storage.js'
import { ServerClient } from './server-client.js'

/** The content side of an asset server (STORAGE_TYPE=remote, or ASSETS_URL alone). */
export function createRemoteStorage(options: RemoteOptions, context: { allowInsecureStorage?: boolean; cacheDir?: string } = {}): RemoteStorage {
  const storage = new RemoteStorage(new ServerClient(options, context.allowInsecureStorage === true))
  storage.ranged = rangedContentSettings(options, context)
  return storage
}

export default definePlugin({
  kind: 'storage',
  name: 'remote',
  specificationVersion: SPECIFICATION_VERSION,
  options: remoteOptionsSchema,
  create: (options, context) => createRemoteStorage(options, context),
})
