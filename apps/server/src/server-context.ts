import type { Actor, BaseAssetManager } from '@assets/core'
import type { ManifestCache } from './manifest-cache.js'
import type { UploadArea } from './upload-area.js'

/** What every route reaches besides its request: the server's own stack and state. */
export interface ServerContext {
  /** The manager on the server's stack; each request acts through `manager.as(actor)`. */
  manager: BaseAssetManager
  manifests: ManifestCache
  uploads: UploadArea
  /** Largest blob one upload may send. */
  maxBlobBytes: number
  /** How long a presigned URL works. */
  presignSeconds: number
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The token's actor; set for every route except health checks and the API document. */
    actor: Actor
    /** The server's manager acting as `actor`. */
    assets: BaseAssetManager
  }
}
