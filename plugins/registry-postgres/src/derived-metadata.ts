import { PATH_SEGMENT } from './metadata-path.js'
import { sqliteDateText } from './sqlite-date-text.js'

/**
 * What the query language needs from metadata that jsonb cannot compute the way SQLite does,
 * computed once when a version is registered and stored beside it, keyed by dotted path:
 * - `dates`: each string that SQLite's date functions read as an instant, in the form
 *   `strftime('%Y-%m-%dT%H:%M:%fZ')` gives it (`now` for the current-time forms), for range
 *   operators on strings;
 * - `jsonTexts`: each array and object as the JSON text SQLite's json_extract returns (keys in
 *   written order, no spaces), which is what sorting on such a field compares.
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
        const date = sqliteDateText(value)
        if (date !== null) dates.set(path, date)
      } else if (typeof value === 'object' && value !== null) {
        jsonTexts.set(path, JSON.stringify(value))
        // A path steps through objects only, never into arrays.
        if (!Array.isArray(value)) walk(value as Record<string, unknown>, path)
      }
    }
  }
  walk(metadata, '')
  return { dates: Object.fromEntries(dates), jsonTexts: Object.fromEntries(jsonTexts) }
}
