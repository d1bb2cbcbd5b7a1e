import { InvalidKeyError } from '@assets/core'

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Throws InvalidKeyError unless `path` is a relative `/`-separated path inside the repository.
 * The manager validates keys first; this fence keeps a bug upstream from addressing
 * `../other-repo` on the hub or a file outside a download folder.
 */
export function checkRepoPath(path: string, what = 'location'): string {
  if (typeof path !== 'string') throw new InvalidKeyError(`huggingface: a ${what} must be a string, got ${typeof path}`)
  const shown = JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}…` : path)
  const refuse = (why: string): never => {
    throw new InvalidKeyError(`huggingface: refusing ${what} ${shown}: ${why}`)
  }
  if (path === '') refuse('it is empty')
  if (CONTROL.test(path)) refuse('it contains a NUL or control character')
  if (path.includes('\\')) refuse('it contains a backslash')
  if (path.startsWith('/')) refuse('it is absolute')
  for (const segment of path.split('/')) {
    if (segment === '') refuse('it has an empty segment')
    if (segment === '.' || segment === '..') refuse(`it has a "${segment}" segment`)
  }
  return path
}

/** The folder to list for a plain string prefix (`a/b` matches `a/b/c` and `a/bc`), checked; '' is the root. */
export function prefixFolder(prefix: string): string {
  if (prefix === '') return ''
  checkRepoPath(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'list prefix')
  const slash = prefix.lastIndexOf('/')
  return slash === -1 ? '' : prefix.slice(0, slash)
}
