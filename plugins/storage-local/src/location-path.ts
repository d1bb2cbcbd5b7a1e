import { join } from 'node:path'
import { checkLocation } from '@assets/core'

/** Throws InvalidKeyError unless `location` is a relative `/`-separated path that stays under the root. */
export function checkLocalLocation(location: string): string {
  return checkLocation('local', location)
}

/** The file that holds `location` under `root`. */
export function locationPath(root: string, location: string): string {
  return join(root, ...checkLocalLocation(location).split('/'))
}

/**
 * The deepest folder that holds every match of a list prefix, so a listing walks only that. A
 * prefix is a plain string prefix (`a/b` matches `a/b/c` and `a/bc`), like S3's.
 */
export function prefixFolder(prefix: string): string {
  if (prefix === '') return ''
  const body = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  checkLocalLocation(body)
  const slash = prefix.lastIndexOf('/')
  return slash === -1 ? '' : prefix.slice(0, slash)
}
