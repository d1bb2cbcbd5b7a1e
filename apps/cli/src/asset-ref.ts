import { UsageError } from './args.js'

export interface AssetRef {
  key: string
  /** A version, a tag or `latest`; undefined when the argument named none. */
  ref?: string
}

/**
 * `key`, `key@1.2.0` or `key@gold`. Keys and tags cannot contain `@`, so the last one
 * separates them; the manager validates both.
 */
export function parseRef(argument: string): AssetRef {
  const at = argument.lastIndexOf('@')
  if (at === -1) return { key: argument }
  const key = argument.slice(0, at)
  const ref = argument.slice(at + 1)
  if (key === '' || ref === '') throw new UsageError(`expected <key>[@version|@tag], got ${JSON.stringify(argument)}`)
  return { key, ref }
}

/** `user:alice`, `group:lab`, `role:admin` or `*`; a bare name is a user. */
export function parsePrincipal(argument: string): string {
  return argument === '*' || argument.includes(':') ? argument : `user:${argument}`
}
