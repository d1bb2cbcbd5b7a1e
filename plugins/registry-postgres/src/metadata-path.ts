import { InvalidQueryError } from '@assets/core'
import type postgres from 'postgres'

// The same rule core's compileQuery applies; checked again because a CompiledQuery can be
// built by hand, and these segments end up inside a JSON path.
export const PATH_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/

export function checkPath(segments: readonly string[]): readonly string[] {
  if (segments.length === 0 || !segments.every((s) => typeof s === 'string' && PATH_SEGMENT.test(s))) {
    throw new InvalidQueryError(`invalid metadata path ${JSON.stringify(segments.join('.'))}`)
  }
  return segments
}

/**
 * A jsonpath that walks object members only. In strict mode a member step on an array or a
 * scalar finds nothing, as SQLite's `$."a"."b"` does, where `#>` would read `{labels,0}` as
 * the first element of an array.
 */
export function strictJsonPath(segments: readonly string[]): string {
  return `strict $${checkPath(segments)
    .map((s) => `."${s}"`)
    .join('')}`
}

/** The key of a path in the flat derived columns: segments cannot hold a dot, so it is unambiguous. */
export function flatKey(segments: readonly string[]): string {
  return checkPath(segments).join('.')
}

/**
 * The document `metadata @>` tests for a value at a path: `{"stats": {"n_cells": 5}}`.
 * Containment compares like with like (a number only equals a number, `2` equals `2.0`) and,
 * for a scalar, needs an exact member chain, so it is `$eq` with SQLite's typing, and it can
 * use the GIN index.
 */
export function containmentDocument(segments: readonly string[], leaf: postgres.JSONValue): postgres.JSONValue {
  // fromEntries defines own properties, so a segment named __proto__ stays an ordinary key.
  return checkPath(segments).reduceRight<postgres.JSONValue>((inner, segment) => Object.fromEntries([[segment, inner]]), leaf)
}

/**
 * False for text holding a NUL character, which PostgreSQL cannot store: no stored value can
 * equal it, so a condition on it is decided without asking the server (which would refuse the
 * parameter).
 */
export function storable(value: unknown): boolean {
  return typeof value !== 'string' || !value.includes('\0')
}
