import type { TSchema } from '@sinclair/typebox'
import { type ValueError, ValueErrorType, Value } from '@sinclair/typebox/value'
import type { ValidationIssue } from '../errors/index.js'
import { closestName } from './closest-name.js'

/**
 * Every way `value` breaks `schema`, as issues with stable codes and `a/0/b` paths. Typebox
 * reports a missing field twice (required, then wrong type); only the first is kept.
 */
export function schemaIssues(schema: TSchema, value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const seen = new Set<string>()
  const required = new Set<string>()
  for (const error of Value.Errors(schema, value)) {
    const issue = toIssue(error)
    const id = `${issue.code}\0${issue.path}`
    if (seen.has(id) || required.has(issue.path)) continue
    seen.add(id)
    if (issue.code === 'REQUIRED') required.add(issue.path)
    issues.push(issue)
  }
  return issues
}

/** `/specs/0/semantic` → `specs/0/semantic`. */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('/')
}

function toIssue(error: ValueError): ValidationIssue {
  const path = pointerToPath(error.path)
  const field = path.split('/').pop() ?? ''
  const schema = error.schema as TSchema & Record<string, unknown>
  const issue = (code: string, message: string): ValidationIssue => ({ code, path, message })
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return issue('UNKNOWN_FIELD', unknownField(field, Object.keys(schema.properties ?? {})))
    case ValueErrorType.ObjectRequiredProperty:
      return issue('REQUIRED', `"${field}" is required`)
    case ValueErrorType.Union:
      if (Array.isArray(schema.anyOf) && schema.anyOf.every((s: TSchema) => 'const' in s)) {
        const allowed = schema.anyOf.map((s: TSchema) => String(s.const))
        return issue('INVALID_ENUM', `must be one of ${allowed.join(', ')}; got ${show(error.value)}`)
      }
      return issue('INVALID_TYPE', `has the wrong type: ${show(error.value)}`)
    case ValueErrorType.StringPattern:
      return issue(String(schema['x-code'] ?? 'INVALID_FORMAT'), `${schema['x-message'] ?? `must match ${schema.pattern}`}; got ${show(error.value)}`)
    case ValueErrorType.StringMinLength:
      return issue('EMPTY', 'must not be empty')
    case ValueErrorType.ArrayMinItems:
      return issue('EMPTY', `must list at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`)
    case ValueErrorType.ArrayUniqueItems:
      return issue('DUPLICATE_ITEM', 'lists the same value more than once')
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return issue('OUT_OF_RANGE', `must be at least ${schema.minimum}; got ${show(error.value)}`)
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return issue('OUT_OF_RANGE', `must be at most ${schema.maximum}; got ${show(error.value)}`)
    case ValueErrorType.Tuple:
    case ValueErrorType.TupleLength:
      return issue('INVALID_TYPE', `must be a list of ${(schema.items as unknown[] | undefined)?.length ?? 2} values; got ${show(error.value)}`)
    default:
      return typeIssue(error, issue)
  }
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping of fields',
  array: 'a list',
}

function typeIssue(error: ValueError, issue: (code: string, message: string) => ValidationIssue): ValidationIssue {
  const type = (error.schema as { type?: unknown }).type
  const expected = typeof type === 'string' ? EXPECTED[type] : undefined
  if (expected !== undefined && !sameType(type as string, error.value)) return issue('INVALID_TYPE', `must be ${expected}; got ${show(error.value)}`)
  return issue('INVALID_VALUE', `${error.message}; got ${show(error.value)}`)
}

function sameType(type: string, value: unknown): boolean {
  if (type === 'integer') return Number.isInteger(value)
  if (type === 'array') return Array.isArray(value)
  if (type === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value)
  return typeof value === type
}

function unknownField(field: string, allowed: string[]): string {
  const guess = closestName(field, allowed)
  const hint = guess !== undefined ? ` (did you mean "${guess}"?)` : ''
  const derived = field === 'key' ? ' (a spec key is derived from formats, modality, semantic and version)' : ''
  return `unknown field "${field}"${hint}${derived}; allowed: ${allowed.join(', ')}`
}

/** A value as it appears in a message: JSON, cut short. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 60 ? `${text.slice(0, 57)}…` : text
}
