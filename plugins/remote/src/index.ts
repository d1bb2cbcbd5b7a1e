import { definePlugin, SPECIFICATION_VERSION } from '@assets/core'
import { RemoteRegistry } from './remote-registry.js'
import { type RemoteOptions, remoteOptionsSchema } from './remote-options.js'
import { ServerClient } from './server-client.js'

export { RemoteRegistry } from './remote-registry.js'
export { RemoteStorage } from './remote-storage.js'
export { type RemoteOptions, remoteOptionsSchema } from './remote-options.js'
export { ServerClient } from './server-client.js'

/** The catalogue side of an asset server (DB_TYPE=remote, or ASSETS_URL alone). */
export function createRemoteRegistry(options: RemoteOptions, context: { allowInsecureStorage?: boolean } = {}): RemoteRegistry {
  return new RemoteRegistry(new ServerClient(options, context.allowInsecureStorage === true))
}

export default definePlugin({
  kind: 'registry',
  name: 'remote',
  specificationVersion: SPECIFICATION_VERSION,
  options: remoteOptionsSchema,
  create: (options, context) => createRemoteRegistry(options, context),
})
