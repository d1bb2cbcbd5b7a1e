import { readFile, stat } from 'node:fs/promises'
import { InvalidInputError, ValidationError, type ValidationIssue } from '@assets/core'

const MAX_DEPTH = 32

/** A metrics document: finite numbers, or objects of them, nested (`{ari: 0.8, per_label: {b: 0.7}}`). */
export interface MetricValues {
  [name: string]: number | MetricValues
}

function walk(value: unknown, path: string[], issues: ValidationIssue[]): void {
  const where = path.join('/')
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) issues.push({ code: 'METRIC_NOT_FINITE', path: where, message: `${value} is not a finite number` })
    return
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`
    issues.push({ code: 'METRIC_NOT_NUMBER', path: where, message: `${what}: a metric must be a finite number or an object of metrics` })
    return
  }
  if (path.length >= MAX_DEPTH) {
    issues.push({ code: 'METRICS_TOO_DEEP', path: where, message: `metrics nest deeper than ${MAX_DEPTH} levels` })
    return
  }
  for (const [name, inner] of Object.entries(value)) {
    if (name.trim() === '') issues.push({ code: 'METRIC_NAME_EMPTY', path: where, message: 'a metric needs a non-empty name' })
    walk(inner, [...path, name], issues)
  }
}

/** Every way a parsed value fails to be a metrics document, each with its path. */
export function checkMetrics(value: unknown): ValidationIssue[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ code: 'METRICS_NOT_OBJECT', path: '', message: 'a metrics file must hold a JSON object of metric name → number' }]
  }
  const issues: ValidationIssue[] = []
  walk(value, [], issues)
  return issues
}

/** Reads, parses and checks a metrics JSON file, refusing it whole on any issue. */
export async function readMetrics(path: string, maxBytes: number): Promise<{ values: MetricValues; bytes: Buffer }> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new InvalidInputError(`metrics file ${path} does not exist or cannot be read`, { cause })
  })
  if (!info.isFile()) throw new InvalidInputError(`metrics ${path} must be one JSON file`)
  if (info.size > maxBytes) {
    throw new ValidationError(`metrics file ${path} is too large`, [{ code: 'METRICS_TOO_LARGE', path: '', message: `${info.size} bytes, more than the limit of ${maxBytes}` }])
  }
  const bytes = await readFile(path)
  if (bytes.length > maxBytes) {
    throw new ValidationError(`metrics file ${path} is too large`, [{ code: 'METRICS_TOO_LARGE', path: '', message: `${bytes.length} bytes, more than the limit of ${maxBytes}` }])
  }
  let value: unknown
  try {
    value = JSON.parse(bytes.toString('utf8'))
  } catch (cause) {
    throw new ValidationError(`metrics file ${path} is not JSON`, [{ code: 'METRICS_SYNTAX', path: '', message: cause instanceof Error ? cause.message : String(cause) }], { cause })
  }
  const issues = checkMetrics(value)
  if (issues.length > 0) throw new ValidationError(`metrics file ${path} is not a metrics document`, issues)
  return { values: value as MetricValues, bytes }
}

/** Number of metric values (leaves), to decide whether they fit in the version's metadata. */
export function countMetrics(values: MetricValues): number {
  return Object.values(values).reduce<number>((n, v) => n + (typeof v === 'number' ? 1 : countMetrics(v)), 0)
}
