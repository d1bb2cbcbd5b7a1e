/** A satisfiable byte range: `start` inclusive, `end` exclusive. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * The one range of a `Range: bytes=…` header, against an object of `size` bytes: undefined
 * for no header (or one we do not serve: several ranges, other units), 'unsatisfiable' for a
 * range wholly outside the object. As RFC 9110 allows, anything unparseable is ignored and the
 * whole object is sent.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return undefined
  const [, first, last] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size }
  }
  const start = Number(first)
  if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable'
  const end = last === '' ? size : Math.min(size, Number(last) + 1)
  if (end <= start) return undefined
  return { start, end }
}
