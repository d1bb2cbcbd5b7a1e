import { Value } from '@sinclair/typebox/value'
import { InvalidInputError, ValidationError, type ValidationIssue } from '../errors/index.js'
import { schemaIssues } from './schema-issues.js'
import { expandAxisNames, isRecord, semanticIssues } from './spec-checks.js'
import { SPEC_KINDS, SPEC_SCHEMAS, type SpecKind, type SpecTypes } from './spec-kinds.js'
import { applyRuleDefaults, ruleIssues } from './spec-rules.js'

export interface ParseSpecOptions {
  /** Named in the error message: the file the value came from. */
  source?: string
}

/**
 * Checks a dataset, model, task, metric, io (one InputOutputSpec) or machine description and
 * returns it with defaults filled in and organisms normalised to `NCBITaxon:<id>`. The input is
 * not modified. Throws a ValidationError listing every problem, each with a path and a code.
 */
export function parseSpec<K extends SpecKind>(kind: K, value: unknown, options: ParseSpecOptions = {}): SpecTypes[K] {
  const schema = SPEC_SCHEMAS[kind]
  if (schema === undefined) throw new InvalidInputError(`unknown spec kind ${JSON.stringify(kind)} (known: ${SPEC_KINDS.join(', ')})`)
  let spec = expandAxisNames(schema, copyData(value))
  spec = Value.Default(schema, spec)
  applyRuleDefaults(kind, spec)
  const issues: ValidationIssue[] = schemaIssues(schema, spec)
  spec = semanticIssues(schema, spec, issues)
  issues.push(...ruleIssues(kind, spec))
  if (issues.length > 0) {
    const from = options.source === undefined ? '' : ` in ${options.source}`
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`
    throw new ValidationError(`invalid ${kind} spec${from} (${count})`, sortByPath(issues))
  }
  return spec as SpecTypes[K]
}

// Stable order for people and tests: by path, whole-spec issues first, typebox's order within.
function sortByPath(issues: ValidationIssue[]): ValidationIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (a.issue.path === b.issue.path ? a.i - b.i : a.issue.path < b.issue.path ? -1 : 1))
    .map(({ issue }) => issue)
}

// A deep copy of plain data. Keys are defined, not assigned, so that a `__proto__` key in a
// file stays a field (reported as unknown) instead of replacing the object's prototype.
function copyData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyData)
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString()
  if (isRecord(value)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: copyData(v), enumerable: true, writable: true, configurable: true })
    return out
  }
  return value
}
