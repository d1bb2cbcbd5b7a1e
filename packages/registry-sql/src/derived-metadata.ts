import { isoInstant } from '@assets/core'

/** How much of an array's or object's JSON text sorting compares. */
export const JSON_TEXT_LIMIT = 256

// The same rule core's compileQuery applies to the segments of a metadata path.
export const PATH_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/

/**
 * What queries need from metadata that SQL cannot compute the same way in every dialect,
 * computed once when a version is registered and stored beside it, keyed by dotted path:
 * - `dates`: each string that is an ISO 8601 date, as the instant it names
 *   (`YYYY-MM-DDTHH:MM:SS.sssZ`), so that range operators compare instants as plain text;
 * - `jsonTexts`: each array and object as compact JSON text in written order, which is what
 *   sorting on such a field compares: its first JSON_TEXT_LIMIT characters, since every level
 *   of a nested document would otherwise store its whole subtree again (64 levels of 1 MiB).
 * Only paths a query can name are kept: object members whose names are valid path segments.
 */
export function deriveMetadataColumns(metadata: Record<string, unknown>): { dates: Record<string, string>; jsonTexts: Record<string, string> } {
  const dates = new Map<string, string>()
  const jsonTexts = new Map<string, string>()
  const walk = (object: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(object)) {
      if (!PATH_SEGMENT.test(name)) continue
      const path = prefix === '' ? name : `${prefix}.${name}`
      if (typeof value === 'string') {
        const date = isoInstant(value)
        if (date !== undefined) dates.set(path, date)
      } else if (typeof value === 'object' && value !== null) {
        jsonTexts.set(path, headOf(JSON.stringify(value), JSON_TEXT_LIMIT))
        // A path steps through objects only, never into arrays.
        if (!Array.isArray(value)) walk(value as Record<string, unknown>, path)
      }
    }
  }
  walk(metadata, '')
  return { dates: Object.fromEntries(dates), jsonTexts: Object.fromEntries(jsonTexts) }
}

/** The key of a path in the derived columns: segments cannot hold a dot, so it is unambiguous. */
export function flatKey(segments: readonly string[]): string {
  return segments.join('.')
}

/** The first `limit` UTF-16 units of `text`, never ending inside a surrogate pair (a lone one is not storable JSON everywhere). */
function headOf(text: string, limit: number): string {
  if (text.length <= limit) return text
  const cut = text.charCodeAt(limit - 1) >= 0xd800 && text.charCodeAt(limit - 1) <= 0xdbff ? limit - 1 : limit
  return text.slice(0, cut)
}
