import { UsageError } from './args.js'
import { parseRef } from './asset-ref.js'
import { parseScalar } from './where-parser.js'

/**
 * Applies `--meta` assignments to `target`: `k=v` (v read like a --where value), `a.b=v`
 * (nested), `k:=<json>` (any JSON: lists, objects, or a string that looks like a number).
 */
export function applyMetadata(target: Record<string, unknown>, assignments: string[]): Record<string, unknown> {
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=')
    if (eq <= 0) throw new UsageError(`--meta ${JSON.stringify(assignment)}: expected key=value`)
    const json = assignment[eq - 1] === ':'
    const path = assignment.slice(0, json ? eq - 1 : eq).trim()
    const raw = assignment.slice(eq + 1)
    const segments = path.split('.')
    if (path === '' || segments.some((s) => s === '')) throw new UsageError(`--meta ${JSON.stringify(assignment)}: empty field name`)
    let value: unknown
    if (json) {
      try {
        value = JSON.parse(raw)
      } catch {
        throw new UsageError(`--meta ${JSON.stringify(assignment)}: the value after := is not valid JSON`)
      }
    } else {
      value = parseScalar(raw)
    }
    setPath(target, segments, value)
  }
  return target
}

// Own fields only, defined rather than assigned: `__proto__.x=1` must not reach
// Object.prototype, and `__proto__=1` must not vanish; core then refuses the name clearly.
function setPath(target: Record<string, unknown>, segments: string[], value: unknown): void {
  let node = target
  for (const segment of segments.slice(0, -1)) {
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined
    if (typeof next !== 'object' || next === null || Array.isArray(next)) defineField(node, segment, {})
    node = node[segment] as Record<string, unknown>
  }
  defineField(node, segments.at(-1)!, value)
}

function defineField(node: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(node, name, { value, writable: true, enumerable: true, configurable: true })
}

export interface RelationArgument {
  relation: string
  key: string
  version: string
}

/** `evaluated_on=datasets/pbmc3k@1.0.0`; without `@version` the latest is linked (resolved now). */
export function parseRelation(argument: string): RelationArgument {
  const eq = argument.indexOf('=')
  if (eq <= 0 || eq === argument.length - 1) {
    throw new UsageError(`--relate ${JSON.stringify(argument)}: expected <relation>=<key>@<version>`)
  }
  const target = parseRef(argument.slice(eq + 1))
  return { relation: argument.slice(0, eq), key: target.key, version: target.ref ?? 'latest' }
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }

/**
 * An ISO time, or a duration from now: `90s`, `30m`, `12h`, `7d`, `2w`. Every argument that is
 * not a time to come is the same usage error: one that cannot be a date (`banana`, a duration
 * past the end of the calendar, `99999999d`) and one already passed, which would hand the
 * version to the next gc.
 */
export function parseExpiry(argument: string, now = new Date()): Date {
  const duration = DURATION.exec(argument.trim())
  const date = duration
    ? new Date(now.getTime() + Number(duration[1]) * UNIT_SECONDS[duration[2]!]! * 1000)
    : /^\d{4}-\d{2}-\d{2}/.test(argument)
      ? new Date(argument)
      : new Date(Number.NaN)
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`--expires ${JSON.stringify(argument)}: expected an ISO time (2026-12-31T00:00:00Z) or a duration (30m, 12h, 7d, 2w)`)
  }
  if (date.getTime() <= now.getTime()) throw new UsageError(`--expires ${JSON.stringify(argument)}: that time has already passed`)
  return date
}
