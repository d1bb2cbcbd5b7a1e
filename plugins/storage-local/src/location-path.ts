import { join } from 'node:path'
import { InvalidKeyError } from '@assets/core'

// The manager validates keys before building locations; this is the second fence, so that a bug
// upstream can never make the local store read or write outside its root.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/

/** Throws InvalidKeyError unless `location` is a relative `/`-separated path that stays under the root. */
export function checkLocation(location: string): string {
  if (typeof location !== 'string') throw new InvalidKeyError(`local: a location must be a string, got ${typeof location}`)
  const shown = JSON.stringify(location.length > 80 ? `${location.slice(0, 80)}…` : location)
  const refuse = (why: string): never => {
    throw new InvalidKeyError(`local: refusing location ${shown}: ${why}`)
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

/** The file that holds `location` under `root`. */
export function locationPath(root: string, location: string): string {
  return join(root, ...checkLocation(location).split('/'))
}

/**
 * The deepest folder that holds every match of a list prefix, so a listing walks only that. A
 * prefix is a plain string prefix (`a/b` matches `a/b/c` and `a/bc`), like S3's.
 */
export function prefixFolder(prefix: string): string {
  if (prefix === '') return ''
  const body = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  checkLocation(body)
  const slash = prefix.lastIndexOf('/')
  return slash === -1 ? '' : prefix.slice(0, slash)
}
