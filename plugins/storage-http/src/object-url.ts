import { InvalidKeyError } from '@assets/core'

// The manager validates keys before building locations; this is the second fence, so that a bug
// upstream can never make a request leave the base URL (`..` would climb out of its path).
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/

/** Throws InvalidKeyError unless `location` is a relative `/`-separated path of plain segments. */
export function checkLocation(location: string, what = 'location'): string {
  if (typeof location !== 'string') throw new InvalidKeyError(`http: a ${what} must be a string, got ${typeof location}`)
  const shown = JSON.stringify(location.length > 80 ? `${location.slice(0, 80)}…` : location)
  const refuse = (why: string): never => {
    throw new InvalidKeyError(`http: refusing ${what} ${shown}: ${why}`)
  }
  if (location === '') refuse('it is empty')
  if (CONTROL.test(location)) refuse('it contains a NUL or control character')
  if (location.includes('\\')) refuse('it contains a backslash')
  if (location.startsWith('/')) refuse('it is absolute')
  for (const segment of location.split('/')) {
    if (segment === '') refuse('it has an empty segment')
    if (segment === '.' || segment === '..') refuse(`it has a "${segment}" segment`)
  }
  return location
}

/** The URL of the object at `location` under `base` (which ends in `/`), every segment percent-encoded. */
export function objectUrl(base: URL, location: string): URL {
  const path = checkLocation(location).split('/').map(encodeURIComponent).join('/')
  return new URL(path, base)
}

/** The URL of the folder `folder` (`''` for the root, else without a trailing slash), ending in `/`. */
export function folderUrl(base: URL, folder: string): URL {
  return folder === '' ? new URL(base) : new URL(`${objectUrl(base, folder).pathname}/`, base)
}

/** `GET https://host/path` without query or credentials: what messages name. */
export function describeRequest(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`
}
