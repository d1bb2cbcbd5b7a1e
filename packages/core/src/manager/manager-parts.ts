import type { AccessControl } from '../acl.js'
import type { AssetKind } from '../asset-record.js'
import type { Cache } from '../contracts/cache.js'
import type { Logger } from '../contracts/plugin.js'
import type { Registry } from '../contracts/registry.js'
import type { Storage } from '../contracts/storage.js'
import type { Validator } from '../contracts/validator.js'
import type { ReferenceReaders } from './external-reference.js'
import type { MetadataCache } from './metadata-cache.js'

export interface RegisteredValidator {
  validate: Validator
  /** Only assets of these kinds; every kind when absent. */
  kinds?: AssetKind[]
}

/** The stack a manager runs on, shared by every actor's view of it (`manager.as(...)`). */
export interface ManagerParts {
  storage: Storage
  registry: Registry
  /** Reads objects registered by reference through a reader of their own (`s3://` from a local store); closed with the manager. */
  referenceReaders?: ReferenceReaders
  /** Without a cache, `get` downloads into `scratchDir` on every call. */
  cache?: Cache | null
  /** Where `get` builds files when there is no cache (default: the OS temporary folder). */
  scratchDir?: string
  /**
   * Where `get` keeps the links that give cache entries their file names (see named-path.ts);
   * default: `named` under scratchDir, else a private temporary folder. Give one that lasts,
   * beside the cache.
   */
  namedDir?: string
  validators?: RegisteredValidator[]
  logger?: Logger
  /**
   * Seconds that look-ups of a remote registry (ref → version → record) stay in the cache's
   * shared values; 0 or absent: not cached (an embedded registry answers faster than a cache).
   */
  metadataTtl?: number
  /**
   * How long a put's holds on its content outlive the put if it is killed (renewed while it
   * runs; see content-lease.ts). Default 15 minutes; until then gc keeps what a killed put
   * left in staging.
   */
  holdTtlMs?: number
  /** ACL lists given to a new key besides its owner (default: everyone may read). */
  defaultAccessControl?: Partial<Omit<AccessControl, 'owner'>>
}

/** The parts plus what the manager derives from them once. */
export interface ManagerInternals extends ManagerParts {
  validators: RegisteredValidator[]
  metadata?: MetadataCache
}

export const silentLogger: Logger = { warn: () => {} }
