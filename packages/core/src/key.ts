import { InvalidKeyError } from './errors/index.js'

/** Longest key accepted, in characters; S3 allows 1024 bytes and we leave room for a prefix. */
export const MAX_KEY_LENGTH = 512
const MAX_SEGMENT_LENGTH = 255
const SEGMENT = /^[A-Za-z0-9._-]+$/

/**
 * Checks an asset key before anything touches a disk or a bucket. Keys are path-like segments
 * of `[A-Za-z0-9._-]` joined by `/`; nothing that could climb out of a folder or prefix is let
 * through, so every backend can use a key as part of a path without re-checking.
 */
export function validateKey(key: unknown): string {
  if (typeof key !== 'string') throw new InvalidKeyError(`asset key must be a string, got ${typeof key}`)
  const shown = JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)
  const refuse = (why: string): never => {
    throw new InvalidKeyError(`invalid asset key ${shown}: ${why}`)
  }
  if (key.length === 0) refuse('it is empty')
  if (key.length > MAX_KEY_LENGTH) refuse(`it is ${key.length} characters long (at most ${MAX_KEY_LENGTH})`)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(key)) refuse('it contains a NUL or control character')
  if (key.includes('\\')) refuse('it contains a backslash (use / between segments)')
  if (key.startsWith('/')) refuse('it is an absolute path (keys are relative, e.g. datasets/pbmc3k)')
  if (key.endsWith('/')) refuse('it ends with /')
  for (const segment of key.split('/')) {
    if (segment === '') refuse('it has an empty segment (//)')
    if (segment === '.' || segment === '..') refuse(`it has a "${segment}" segment`)
    if (segment.length > MAX_SEGMENT_LENGTH) refuse(`a segment is longer than ${MAX_SEGMENT_LENGTH} characters`)
    if (!SEGMENT.test(segment)) refuse('segments may only contain letters, digits, ".", "_" and "-"')
  }
  return key
}

export function isValidKey(key: unknown): key is string {
  try {
    validateKey(key)
    return true
  } catch {
    return false
  }
}
