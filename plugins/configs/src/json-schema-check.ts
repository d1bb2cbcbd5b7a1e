import { ValidationError, type ValidationIssue } from '@assets/core'
import { Ajv, type ErrorObject } from 'ajv'
import { JSON_SCHEMA_FORMATS } from './json-schema-formats.js'

/** `/a/b/0` (a JSON pointer) → `a/b/0`, with `~1` and `~0` decoded. */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('/')
}

const join = (base: string, name: unknown) => (base === '' ? String(name) : `${base}/${String(name)}`)

/** Where the error is: for a missing or extra property, the property itself. */
function issueOf(error: ErrorObject): ValidationIssue {
  let path = pointerToPath(error.instancePath)
  const params = error.params as Record<string, unknown>
  if (error.keyword === 'required' || error.keyword === 'dependentRequired') path = join(path, params.missingProperty)
  if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') {
    path = join(path, params.additionalProperty ?? params.unevaluatedProperty)
  }
  const detail = error.keyword === 'enum' && Array.isArray(params.allowedValues) ? `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : ''
  return {
    code: `SCHEMA_${error.keyword.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}`,
    path,
    message: `${error.message ?? `fails ${error.keyword}`}${detail}`,
  }
}

/**
 * Compiles a JSON Schema (draft-07 / 2019 vocabulary of ajv's default build); a schema that
 * does not compile is refused as a whole, since checking against part of it proves nothing.
 */
function compile(schema: unknown) {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new ValidationError('the config schema is not a JSON Schema', [{ code: 'INVALID_SCHEMA', path: '', message: 'a JSON Schema must be an object' }])
  }
  // A fresh instance per check: ajv caches schemas by $id, so two versions of one schema would collide.
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, formats: JSON_SCHEMA_FORMATS, loadSchema: undefined })
  try {
    return ajv.compile(schema)
  } catch (cause) {
    throw new ValidationError('the config schema is not a valid JSON Schema', [{ code: 'INVALID_SCHEMA', path: '', message: cause instanceof Error ? cause.message : String(cause) }], {
      cause,
    })
  }
}

/** Every way the value fails the schema, each with the path of the offending value. */
export function checkAgainstSchema(value: unknown, schema: unknown): ValidationIssue[] {
  const validate = compile(schema)
  if (validate(value)) return []
  return (validate.errors ?? []).map(issueOf)
}
