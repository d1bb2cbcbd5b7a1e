import { InvalidKeyError } from './errors/index.js'

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Throws InvalidKeyError unless `location` is a relative `/`-separated path of plain segments.
 * The manager validates keys before building locations; storage backends call this as a second
 * fence, so that a bug upstream can never address anything outside the store (`..` would climb
 * out of a folder, a URL path or a repository). `backend` names the plugin in the message.
 */
export function checkLocation(backend: string, location: string, what = 'location'): string {
  if (typeof location !== 'string') throw new InvalidKeyError(`${backend}: a ${what} must be a string, got ${typeof location}`)
  // Quoted only when refused: this runs once per object, 10⁵ times for a folder of small files.
  const refuse = (why: string): never => {
    const shown = JSON.stringify(location.length > 80 ? `${location.slice(0, 80)}…` : location)
    throw new InvalidKeyError(`${backend}: refusing ${what} ${shown}: ${why}`)
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
