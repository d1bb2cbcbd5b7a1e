import { digestHex, isContentDigest } from '@assets/core'

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
 * Every Redis key this cache writes, all under one prefix so that `clear` can find them with
 * SCAN (and another prefix, another application, is never touched).
 *
 *   <prefix>blob:<hex>           hash {digest, size, chunks, chunkBytes}: a blob kept in Redis
 *   <prefix>chunk:<hex>:<n>      its n-th piece
 *   <prefix>marker:<key>         hash {kind, size}: content known to the tier but too large to keep
 *   <prefix>value:<key>          a JSON value
 *   <prefix>lock:<key>           a lock token
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  blob(digest: string): string {
    return `${this.prefix}blob:${hexOf(digest)}`
  }

  chunk(digest: string, index: number): string {
    return `${this.prefix}chunk:${hexOf(digest)}:${index}`
  }

  marker(key: string): string {
    return `${this.prefix}marker:${key}`
  }

  value(key: string): string {
    return `${this.prefix}value:${key}`
  }

  lock(key: string): string {
    return `${this.prefix}lock:${key}`
  }

  /** SCAN MATCH pattern of one kind of key (`blob`, `marker` …), or of all of them. */
  pattern(kind?: 'blob' | 'marker'): string {
    return `${escapeGlob(this.prefix)}${kind === undefined ? '' : `${kind}:`}*`
  }

  isLock(redisKey: string): boolean {
    return redisKey.startsWith(`${this.prefix}lock:`)
  }

  /** The content digest a `blob:` key stands for. */
  digestOfBlob(redisKey: string): string {
    return `sha256:${redisKey.slice(`${this.prefix}blob:`.length)}`
  }
}

function hexOf(digest: string): string {
  return isContentDigest(digest) ? digestHex(digest) : digest
}

// The prefix is the user's; a `*` or `[` in it must match itself, not widen the SCAN.
function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]]/g, '\\$&')
}
