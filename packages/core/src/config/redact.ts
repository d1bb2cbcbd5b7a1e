/** What a redacted secret prints as. */
export const REDACTED = '***'

/**
 * Field names that hold secrets. Wider than the obvious `password|secret|token` so that header
 * maps (`Authorization`, `X-Api-Key`, `Cookie`) and cloud keys (`accessKeyId`) are covered too.
 */
const SECRET_FIELD = /password|passwd|secret|token|credential|api[-_]?key|authorization|cookie|accesskeyid/i

// The authority's user-info is everything up to the last `@` before the path, so an
// unencoded `@` inside a password is still hidden.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]*(?:@[^\s/?#@]*)*)@/gi
const SECRET_QUERY = /([?&])([^=&#\s]+)=([^&#\s]*)/g

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name)
}

/**
 * Hides the password of every URL in `text` (`redis://:pw@host` → `redis://:***@host`) and the
 * values of secret-looking query parameters (`?token=…`). Works on a bare URL or on a message
 * that mentions one; everything else is left as written.
 */
export function redactUrl(text: string): string {
  return text
    .replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':')
      return colon === -1 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`
    })
    .replace(SECRET_QUERY, (match, sep: string, name: string, value: string) =>
      value !== '' && isSecretField(decodeSafe(name)) ? `${sep}${name}=${REDACTED}` : match,
    )
}

/**
 * A deep copy of `value` in which every set field with a secret-looking name is `***` and every
 * string has its URL passwords hidden: what config printing, logs and errors go through.
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactUrl(value)
  if (typeof value !== 'object' || value === null) return value
  if (seen.has(value)) return '[Circular]'
  seen.add(value)
  if (Array.isArray(value)) return value.map((v) => redactValue(v, seen))
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    out[key] = isSecretField(key) && isSet(v) ? REDACTED : redactValue(v, seen)
  }
  return out
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== ''
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
