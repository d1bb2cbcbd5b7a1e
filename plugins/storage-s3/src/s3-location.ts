import { InvalidInputError } from '@assets/core'

/** One object: the bucket and full key the SDK needs, and the location the caller used for it. */
export interface S3Target {
  bucket: string
  key: string
  /** As given to the storage: relative to the store, or an `s3://bucket/key` reference. */
  location: string
}

const EXTERNAL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/

/** `prefix` without leading or trailing slashes, then one slash: `datasets/` or ``. */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '')
  return trimmed === '' ? '' : `${trimmed}/`
}

function checkRelative(location: string): void {
  if (typeof location !== 'string' || location === '' || location.startsWith('/') || location.includes('\\')) {
    throw new InvalidInputError(`s3: invalid location ${JSON.stringify(location)}: a relative path with "/" separators is required`)
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (location.split('/').some((s) => s === '..' || s === '.') || /[\u0000-\u001f]/.test(location)) {
    throw new InvalidInputError(`s3: invalid location ${JSON.stringify(location)}: no ".", ".." or control characters`)
  }
}

export function isExternalUri(location: string): boolean {
  return typeof location === 'string' && location.startsWith('s3://')
}

/**
 * Maps a location to bucket and key: relative locations live under the store's prefix, and
 * `s3://bucket/key` (an object registered by reference) is taken as it is.
 */
export function resolveTarget(bucket: string, prefix: string, location: string): S3Target {
  if (isExternalUri(location)) {
    const match = EXTERNAL.exec(location)
    if (!match) throw new InvalidInputError(`s3: ${JSON.stringify(location)} is not an s3://bucket/key URI`)
    return { bucket: match[1] as string, key: match[2] as string, location }
  }
  checkRelative(location)
  return { bucket, key: `${prefix}${location}`, location }
}

/** Where a listed key sits relative to the store's prefix. */
export function locationOfKey(prefix: string, key: string): string {
  return key.slice(prefix.length)
}

export function describeTarget(target: Pick<S3Target, 'bucket' | 'key'>): string {
  return `s3://${target.bucket}/${target.key}`
}
