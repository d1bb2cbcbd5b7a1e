import { checkLocation } from '@assets/core'

/**
 * Throws InvalidKeyError unless `path` is a relative `/`-separated path inside the repository,
 * so a bug upstream cannot address `../other-repo` on the hub or a file outside a download folder.
 */
export function checkRepoPath(path: string, what = 'location'): string {
  return checkLocation('huggingface', path, what)
}

/** The folder to list for a plain string prefix (`a/b` matches `a/b/c` and `a/bc`), checked; '' is the root. */
export function prefixFolder(prefix: string): string {
  if (prefix === '') return ''
  checkRepoPath(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'list prefix')
  const slash = prefix.lastIndexOf('/')
  return slash === -1 ? '' : prefix.slice(0, slash)
}
