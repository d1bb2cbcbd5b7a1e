import { createHash } from 'node:crypto'
import { isContentDigest } from '@assets/core'

const FOLDER_KEY = /^folder:sha256:[0-9a-f]{64}$/

/**
 * Content keys (`sha256:…` for a file, `folder:sha256:…` for a folder) name bytes that never
 * change, so any worker may be told about them. Every other key is a machine-local, mutable
 * entry and never leaves the local tier.
 */
export function isContentKey(key: string): boolean {
  return isContentDigest(key) || FOLDER_KEY.test(key)
}

/**
 * Every memcached key this cache uses. A cache key may be long and hold any character, while
 * memcached takes at most 250 bytes without spaces or control characters, so each is the prefix,
 * a kind, and the sha256 of the cache key: always 64 hex digits, whatever the key.
 *
 *   <prefix>ns            the namespace token (`clear` replaces it; see item-format.ts)
 *   <prefix>blob:<h>      a small content file, one item
 *   <prefix>marker:<h>    content known to the tier but too large to keep (waiters stop waiting)
 *   <prefix>value:<h>     a JSON value
 *   <prefix>lock:<h>      a lock token (outside the namespace: `clear` keeps held locks)
 */
export class MemcachedKeys {
  constructor(readonly prefix: string) {}

  namespace(): string {
    return `${this.prefix}ns`
  }

  blob(key: string): string {
    return this.hashed('blob', key)
  }

  marker(key: string): string {
    return this.hashed('marker', key)
  }

  value(key: string): string {
    return this.hashed('value', key)
  }

  lock(key: string): string {
    return this.hashed('lock', key)
  }

  private hashed(kind: string, key: string): string {
    return `${this.prefix}${kind}:${createHash('sha256').update(key).digest('hex')}`
  }
}
