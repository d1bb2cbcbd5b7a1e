import type { ValidationIssue } from '../errors/index.js'
import { isRecord } from './spec-checks.js'
import { specKey } from './spec-key.js'
import type { SpecKind } from './spec-kinds.js'

// Rules across fields, run on a value whose shape may still be wrong: each looks only at the
// parts that have the right type, so that one parse reports every problem.

export const DEFAULT_METRIC_RANGE: readonly [number, number] = [0, 1]

/** Defaults the schema cannot carry (see MetricSpecSchema.range). */
export function applyRuleDefaults(kind: SpecKind, value: unknown): void {
  if (!isRecord(value)) return
  const metrics = kind === 'metric' ? [value] : kind === 'task' && Array.isArray(value.metrics) ? value.metrics : []
  for (const metric of metrics) {
    if (isRecord(metric) && metric.range === undefined) metric.range = [...DEFAULT_METRIC_RANGE]
  }
}

export function ruleIssues(kind: SpecKind, value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  if (!isRecord(value)) return issues
  if (kind === 'dataset') uniqueSpecKeys(value.specs, 'specs', issues)
  if (kind === 'metric') metricRange(value, '', issues)
  if (kind === 'task' && Array.isArray(value.metrics)) {
    value.metrics.forEach((m, i) => {
      if (isRecord(m)) metricRange(m, `metrics/${i}/`, issues)
    })
  }
  return issues
}

function uniqueSpecKeys(specs: unknown, path: string, issues: ValidationIssue[]): void {
  if (!Array.isArray(specs)) return
  const first = new Map<string, number>()
  specs.forEach((spec, i) => {
    if (!isRecord(spec) || typeof spec.modality !== 'string' || typeof spec.semantic !== 'string') return
    const formats = Array.isArray(spec.formats) && typeof spec.formats[0] === 'string' ? (spec.formats as string[]) : undefined
    const key = specKey({ modality: spec.modality, semantic: spec.semantic, version: typeof spec.version === 'string' ? spec.version : undefined, formats })
    const earlier = first.get(key)
    if (earlier === undefined) first.set(key, i)
    else issues.push({ code: 'DUPLICATE_KEY', path: `${path}/${i}`, message: `spec key "${key}" is already used by ${path}/${earlier}; specs must be unique by key` })
  })
}

function metricRange(metric: Record<string, unknown>, prefix: string, issues: ValidationIssue[]): void {
  const range = metric.range
  if (!Array.isArray(range) || typeof range[0] !== 'number' || typeof range[1] !== 'number') return
  const [low, high] = range as [number, number]
  if (!(low < high)) issues.push({ code: 'INVALID_RANGE', path: `${prefix}range`, message: `lowest value ${low} must be below highest value ${high}` })
  else if (typeof metric.threshold === 'number' && (metric.threshold < low || metric.threshold > high)) {
    issues.push({ code: 'INVALID_RANGE', path: `${prefix}threshold`, message: `threshold ${metric.threshold} lies outside the range [${low}, ${high}]` })
  }
}
