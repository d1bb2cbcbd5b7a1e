import { InvalidInputError } from '@assets/core'

// Checks the tiered caches make before a key or value reaches their shared tier, refusing what
// the local tier would refuse (so that a value accepted while the shared tier is up is not
// refused while it is away). `cache` names the plugin in messages, e.g. 'redis cache'.

export function checkSharedKey(cache: string, key: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidInputError(`${cache}: a key must be a non-empty string`)
}

/** The JSON text of a value for the shared tier. */
export function serialiseSharedValue(cache: string, key: string, value: unknown): string {
  const refuse = (cause?: unknown) => new InvalidInputError(`${cache}: setValue(${JSON.stringify(key)}): the value must be JSON-serialisable`, { cause })
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (error) {
    throw refuse(error)
  }
  if (value === undefined || text === undefined) throw refuse()
  return text
}

/** Seconds → whole milliseconds (at least 1), refusing what the local tier would refuse. */
export function ttlSecondsToMs(cache: string, key: string, ttl: number | undefined): number | undefined {
  if (ttl === undefined) return undefined
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new InvalidInputError(`${cache}: ${JSON.stringify(key)}: ttl must be a positive number of seconds, got ${ttl}`)
  }
  return Math.max(1, Math.round(ttl * 1000))
}
