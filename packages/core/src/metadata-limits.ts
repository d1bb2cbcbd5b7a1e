import { InvalidInputError } from './errors/index.js'

/** The most a version's metadata may take, serialised as JSON (UTF-8 bytes). */
export const MAX_METADATA_BYTES = 1024 * 1024

/** How deep objects and lists in metadata may nest; registries store it as JSON, which has limits. */
export const MAX_METADATA_DEPTH = 64

/** The longest description, in UTF-8 bytes. */
export const MAX_DESCRIPTION_BYTES = 64 * 1024

/**
 * A JSON copy of `value`, or an InvalidInputError naming what would not be stored as given:
 * anything but an object at the top; a number JSON cannot hold (`1e999`, NaN), which
 * `JSON.stringify` would turn into null; a field named `__proto__`, which most JavaScript code
 * would drop or, worse, treat as a prototype; nesting deeper than MAX_METADATA_DEPTH (or a
 * cycle); more than MAX_METADATA_BYTES. Checked before any byte is stored.
 */
export function checkMetadata(value: unknown, what = 'metadata'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${what} must be an object`)
  }
  walk(value, what)
  let json: string
  try {
    json = JSON.stringify(value)
  } catch (cause) {
    throw new InvalidInputError(`${what} must be JSON-serialisable`, { cause })
  }
  const bytes = Buffer.byteLength(json)
  if (bytes > MAX_METADATA_BYTES) {
    throw new InvalidInputError(`${what} takes ${bytes} bytes as JSON; at most ${MAX_METADATA_BYTES} are allowed`)
  }
  return JSON.parse(json) as Record<string, unknown>
}

/** `description` unchanged, or an InvalidInputError when it is not a string or too long. */
export function checkDescription(description: unknown): string {
  if (typeof description !== 'string') throw new InvalidInputError('description must be a string')
  const bytes = Buffer.byteLength(description)
  if (bytes > MAX_DESCRIPTION_BYTES) {
    throw new InvalidInputError(`description takes ${bytes} bytes; at most ${MAX_DESCRIPTION_BYTES} are allowed`)
  }
  return description
}

// An explicit stack (no recursion limit) and a budget of visits: every value takes at least a
// byte of JSON, so a walk longer than the byte limit is refused before a shared sub-object seen
// through many paths can make it run for ever.
function walk(root: object, what: string): void {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: what, depth: 0 }]
  let visits = 0
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number }
    if (++visits > MAX_METADATA_BYTES) {
      throw new InvalidInputError(`${what} holds more values than fit in ${MAX_METADATA_BYTES} bytes of JSON`)
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new InvalidInputError(`${shown(path)} is ${value}: only finite numbers can be stored (JSON would make it null)`)
    }
    if (typeof value !== 'object' || value === null) continue
    if (depth >= MAX_METADATA_DEPTH) {
      throw new InvalidInputError(`${what} nests deeper than ${MAX_METADATA_DEPTH} levels (or refers to itself) at ${shown(path)}`)
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], path: `${path}[${i}]`, depth: depth + 1 })
      continue
    }
    for (const key of Object.keys(value)) {
      const at = `${path}.${key}`
      if (key === '__proto__') throw new InvalidInputError(`${shown(at)}: the field name __proto__ is not allowed`)
      stack.push({ value: (value as Record<string, unknown>)[key], path: at, depth: depth + 1 })
    }
  }
}

// A path through thousands of fields would make an unreadable message.
function shown(path: string): string {
  return JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path)
}
