import { ttlSecondsToMs } from '@assets/cache-local'

/**
 * Every item this cache writes is a one-line JSON header and a payload:
 *
 *   {"ns":"<namespace token>","key":"<cache key>","exp":<ms since epoch>}\n<payload bytes>
 *
 * - `ns`: memcached cannot list or delete by prefix, so `clear` replaces the namespace token and
 *   an item written under another token reads as absent (memcached's LRU reclaims it later).
 * - `key`: the cache key in full, since memcached keys are hashes of it: a mismatch reads as absent.
 * - `exp`: when the item expires, to the millisecond. Memcached counts expiry in whole seconds on
 *   a clock that ticks once a second, so an item set with 1 s may vanish after a few ms; the item
 *   is given a second more there, and the header decides. Workers' clocks are assumed in sync (NTP).
 */
export interface ItemHeader {
  ns: string
  key: string
  exp?: number
}

const NEWLINE = 0x0a
// Beyond this memcached reads an expiry as a Unix time rather than a number of seconds.
const LONGEST_RELATIVE_EXPIRY_S = 60 * 60 * 24 * 30

export function encodeItem(header: ItemHeader, payload: Uint8Array | string): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), typeof payload === 'string' ? Buffer.from(payload) : payload])
}

/** The payload and its expiry, when the item belongs to `key` under namespace `ns` and has not expired; else null. */
export function decodeItem(item: Buffer | null, ns: string | null, key: string, now = Date.now()): { payload: Buffer; exp: number | undefined } | null {
  if (item === null || ns === null) return null
  const end = item.indexOf(NEWLINE)
  if (end < 0) return null
  let header: Partial<ItemHeader>
  try {
    header = JSON.parse(item.subarray(0, end).toString('utf8')) as Partial<ItemHeader>
  } catch {
    return null
  }
  if (header.ns !== ns || header.key !== key) return null
  const exp = typeof header.exp === 'number' ? header.exp : undefined
  if (exp !== undefined && exp <= now) return null
  return { payload: item.subarray(end + 1), exp }
}

/** The header's expiry for a TTL in milliseconds. */
export function expiresAt(ttlMs: number | undefined, now = Date.now()): number | undefined {
  return ttlMs === undefined ? undefined : now + ttlMs
}

/** Memcached's expiry for an item that should live `ttlMs` (0: no expiry), one second late on purpose (see above). */
export function memcachedExpiry(ttlMs: number | undefined, now = Date.now()): number {
  if (ttlMs === undefined) return 0
  const seconds = Math.ceil(ttlMs / 1000) + 1
  return seconds <= LONGEST_RELATIVE_EXPIRY_S ? seconds : Math.ceil(now / 1000) + seconds
}

/** Seconds → whole milliseconds (at least 1), refusing what the local tier would refuse. */
export const ttlToMs = (key: string, ttl: number | undefined) => ttlSecondsToMs('memcached cache', key, ttl)
