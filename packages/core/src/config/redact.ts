/** What a redacted secret prints as. */
export const REDACTED = '***'

/**
 * Field names that hold secrets. Wider than the obvious `password|secret|token` so that header
 * maps (`Authorization`, `X-Api-Key`, `Cookie`) and cloud keys (`accessKeyId`) are covered too.
 */
const SECRET_FIELD = /password|passwd|secret|token|credential|signature|api[-_]?key|authorization|cookie|accesskeyid/i

/**
 * A map of HTTP headers (`headers`, `extraHeaders`): every value is hidden whatever the header's
 * name, since deployments put credentials in headers of their own naming (`X-Auth`, `X-Auth-Key`).
 */
const HEADER_FIELD = /headers$/i

/**
 * Query parameters that sign or authorise a URL, besides the secret-looking names above
 * (`access_token`, `X-Amz-Credential`, `X-Amz-Security-Token`, `X-Amz-Signature`, `Signature`):
 * Azure's `sig`, Google's `key`, OAuth's `code`, and common session parameters.
 */
const SECRET_PARAMETER = /^(sig|key|code|auth|session|sessionid|jwt|ticket)$/i

// The authority's user-info is everything up to the last `@` before the path, so an
// unencoded `@` inside a password is still hidden. One slash is enough: a URL that went
// through path.resolve (`/cwd/https:/user:pw@host/…`) has lost the other.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/?)([^\s/?#@]*(?:@[^\s/?#@]*)*)@/gi
// A value ends at the next parameter, fragment, blank or quote: a URL quoted in a message keeps
// its closing quote.
const SECRET_QUERY = /([?&;])([^=&#;\s]+)=([^&#;\s"'`<>]*)/g

export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name)
}

/** Whether a value at this path (field names from the top) must not be shown: a secret field's or a header's. */
export function isSecretPath(segments: readonly string[]): boolean {
  return segments.some((segment) => isSecretField(segment) || HEADER_FIELD.test(segment))
}

function isSecretParameter(name: string): boolean {
  return isSecretField(name) || SECRET_PARAMETER.test(name)
}

/**
 * Hides the password of every URL in `text` (`redis://:pw@host` → `redis://:***@host`), a user
 * name given alone (`https://ghp_…@github.com`: often a token), and the values of query
 * parameters that authorise or sign the URL (`?token=…`, `X-Amz-Signature=…`, `sig=…`). Works on
 * a bare URL or on a message that mentions one; everything else is left as written.
 */
export function redactUrl(text: string): string {
  return text
    .replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':')
      if (userinfo === '') return `${scheme}@`
      return colon === -1 ? `${scheme}${REDACTED}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`
    })
    .replace(SECRET_QUERY, (match, sep: string, name: string, value: string) =>
      value !== '' && isSecretParameter(decodeSafe(name)) ? `${sep}${name}=${REDACTED}` : match,
    )
}

/**
 * A deep copy of `value` in which every set field with a secret-looking name is `***`, so is
 * every value of a header map, and every string has its URL secrets hidden: what config
 * printing, logs and errors go through.
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
    out[key] = isSecretField(key) && isSet(v) ? REDACTED : HEADER_FIELD.test(key) ? redactHeaders(v) : redactValue(v, seen)
  }
  return out
}

// Names stay (they help to see which header is set); values never show. A header map given as
// its JSON text (HTTP_STORAGE_HEADERS) is hidden whole.
function redactHeaders(value: unknown): unknown {
  if (typeof value === 'string') return value === '' ? value : REDACTED
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(() => REDACTED)
  return Object.fromEntries(Object.keys(value).map((name) => [name, REDACTED]))
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
