import { type StringOptions, type TLiteral, type TString, type TUnion, Type } from '@sinclair/typebox'

// Building blocks shared by the spec schemas. Two extra schema keywords carry what typebox
// itself cannot say: `x-code`/`x-message` give a pattern failure its stable issue code and a
// readable message, and `x-check` names a check that needs code (organism look-up, dates, URLs),
// run by spec-checks.ts after typebox's own.

export type SemanticCheck = 'organism' | 'date-time' | 'url'

/** A string that must match `pattern`; a mismatch is reported as `code` with `message`. */
export function patterned(pattern: RegExp, code: string, message: string, options: StringOptions = {}): TString {
  return Type.String({ ...options, pattern: pattern.source, 'x-code': code, 'x-message': message })
}

/** One of a fixed list of strings, reported as INVALID_ENUM with the list. */
export function stringEnum<const T extends readonly string[]>(values: T, options: { default?: T[number]; description?: string } = {}) {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<TLiteral<T[number]>[]>
}

/** A string whose value is checked (and possibly normalised) by spec-checks.ts. */
export function checked(check: SemanticCheck, options: StringOptions = {}): TString {
  return Type.String({ ...options, 'x-check': check })
}

export const NonEmpty = (options: StringOptions = {}) => Type.String({ minLength: 1, ...options })

/** `PREFIX:LOCALID`, e.g. `GO:0008150`, `EDAM:data_0006`, `CL:0000236`. */
export const CURIE = /^[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/

/** A name that can sit between the colons of a spec key: no colon, no space. */
export const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/

/** `module:function`, e.g. `czbenchmarks.metrics:adjusted_rand_index`. */
export const REFERENCE = /^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*$/

export const CHECKSUM = /^sha256:[0-9a-fA-F]{64}$/

/** A JSON object of anything: metadata, validation_schema, task context extras. */
export const FreeObject = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description })
