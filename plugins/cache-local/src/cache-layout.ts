import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { digestHex, isContentDigest } from '@assets/core'

/**
 * A file name for any key. Content keys keep their hex so a person can find `sha256:ab12…` on
 * disk; every other key is hashed (with its own prefix, so the key `x` never shares a name with
 * the content whose bytes are `x`).
 */
export function nameForKey(key: string): string {
  if (isContentDigest(key)) return `sha256-${digestHex(key)}`
  return `key-${createHash('sha256').update(key).digest('hex')}`
}

/** Where everything lives under the cache root. */
export class CacheLayout {
  readonly entries: string
  readonly values: string
  readonly staging: string
  readonly locks: string

  constructor(readonly root: string) {
    this.entries = join(root, 'entries')
    this.values = join(root, 'values')
    this.staging = join(root, 'staging')
    this.locks = join(root, 'locks')
  }

  /** The folder of one entry: its record and its data (one generation at a time). */
  entryFolder(key: string): string {
    const name = nameForKey(key)
    return join(this.entries, shardOf(name), name)
  }

  valuePath(key: string): string {
    const name = nameForKey(key)
    return join(this.values, shardOf(name), `${name}.json`)
  }

  stagingPath(key: string): string {
    return join(this.staging, nameForKey(key))
  }

  lockPath(key: string): string {
    return join(this.locks, `${nameForKey(key)}.lock`)
  }
}

// Two hex characters spread entries over 256 folders, so no folder grows to millions of names.
function shardOf(name: string): string {
  return name.slice(name.indexOf('-') + 1, name.indexOf('-') + 3)
}
