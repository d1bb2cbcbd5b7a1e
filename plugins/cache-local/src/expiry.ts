import { InvalidInputError } from '@assets/core'

/** Epoch milliseconds at which something set now with `ttl` seconds expires; undefined for never. */
export function expiresAtFor(ttl: number | undefined, what: string): number | undefined {
  if (ttl === undefined) return undefined
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new InvalidInputError(`local cache: ${what}: ttl must be a positive number of seconds, got ${ttl}`)
  }
  return Date.now() + ttl * 1000
}

export function isExpired(expiresAt: number | undefined, now = Date.now()): boolean {
  return expiresAt !== undefined && expiresAt <= now
}
