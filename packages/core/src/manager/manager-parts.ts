import type { AccessControl } from '../acl.js'
import type { AssetKind } from '../asset-record.js'
import type { Cache } from '../contracts/cache.js'
import type { Logger } from '../contracts/plugin.js'
import type { Registry } from '../contracts/registry.js'
import type { Storage } from '../contracts/storage.js'
import type { Validator } from '../contracts/validator.js'

export interface RegisteredValidator {
  validate: Validator
  /** Only assets of these kinds; every kind when absent. */
  kinds?: AssetKind[]
}

/** The stack a manager runs on, shared by every actor's view of it (`manager.as(...)`). */
export interface ManagerParts {
  storage: Storage
  registry: Registry
  /** Without a cache, `get` downloads into `scratchDir` on every call. */
  cache?: Cache | null
  /** Where `get` builds files when there is no cache (default: the OS temporary folder). */
  scratchDir?: string
  validators?: RegisteredValidator[]
  logger?: Logger
  /** ACL lists given to a new key besides its owner (default: everyone may read). */
  defaultAccessControl?: Partial<Omit<AccessControl, 'owner'>>
}

export const silentLogger: Logger = { warn: () => {} }
