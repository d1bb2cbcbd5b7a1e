import type { FieldClause } from './query.js'

/**
 * A Bloom-style signature of a metadata document: one bit per scalar leaf, chosen by hashing
 * the leaf's path, type and value. Registries store it beside each version and test
 * `(signature & mask) = mask` before parsing any JSON, so an equality filter reads the JSON of
 * only the few rows that might match. It is a prefilter: a row whose bits match is still
 * checked exactly, and a row whose bits do not match cannot hold the values. 52 bits keep the
 * value a safe JavaScript integer. Stored values depend on this hash: changing it needs a
 * registry migration that recomputes them.
 */
export const METADATA_SIGNATURE_BITS = 52

/** The signature of every scalar leaf reached through object members (not array elements). */
export function metadataSignature(metadata: unknown): number {
  let signature = 0n
  const walk = (node: unknown, path: string): void => {
    if (node === null || typeof node !== 'object') {
      if (path !== '') signature |= leafBit(path, node)
      return
    }
    // Equality never looks inside arrays (`$contains` does, without the signature).
    if (Array.isArray(node)) return
    for (const [name, value] of Object.entries(node)) walk(value, path === '' ? name : `${path}\u0000${name}`)
  }
  walk(metadata, '')
  return Number(signature)
}

/**
 * The bits a row must have to satisfy the query's `$eq` clauses, or 0 when no clause can use
 * the signature (then the registry leaves the test out).
 */
export function querySignature(clauses: readonly FieldClause[]): number {
  let mask = 0n
  for (const clause of clauses) {
    if (clause.op !== '$eq' || !isLeaf(clause.value)) continue
    mask |= leafBit(clause.path.join('\u0000'), clause.value)
  }
  return Number(mask)
}

function isLeaf(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
}

/**
 * Values that compare equal in the registries hash alike: JSON numbers by numeric value (2
 * and 2.0 are one number), strings by their exact text, booleans and null by type.
 */
function leafBit(path: string, value: unknown): bigint {
  let text: string
  if (typeof value === 'number') text = `n${value === 0 ? 0 : value}`
  else if (typeof value === 'string') text = `s${value}`
  else if (typeof value === 'boolean') text = value ? 'true' : 'false'
  else if (value === null) text = 'null'
  // Anything else cannot come out of JSON; it sets no bit and so never narrows a query.
  else return 0n
  return 1n << BigInt(fnv1a(`${path}\u0001${text}`) % METADATA_SIGNATURE_BITS)
}

/** 32-bit FNV-1a over UTF-16 code units: fast, stable across versions and platforms. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}
