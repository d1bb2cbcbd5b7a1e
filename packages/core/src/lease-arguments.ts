import { InvalidInputError } from './errors/index.js'

/**
 * Checks the arguments of a Registry content-lease call (holdContent and the rest) the same way
 * in every registry, and returns the locations without repeats.
 */
export function checkLeaseArguments(holder: string, locations: string[] | undefined, ttlMs?: number): string[] {
  if (typeof holder !== 'string' || holder.length === 0 || holder.length > 200) {
    throw new InvalidInputError('a content lease needs a holder name of 1 to 200 characters')
  }
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)) {
    throw new InvalidInputError(`a content lease needs a positive whole number of milliseconds, not ${ttlMs}`)
  }
  if (locations !== undefined && (!Array.isArray(locations) || locations.some((l) => typeof l !== 'string' || l.length === 0))) {
    throw new InvalidInputError('content lease locations must be non-empty strings')
  }
  return [...new Set(locations ?? [])]
}
