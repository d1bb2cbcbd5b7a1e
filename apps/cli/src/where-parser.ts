import type { FieldCondition, FieldOperators, Scalar } from '@assets/core'
import { UsageError } from './args.js'

/**
 * The readable query language of `assets find --where`: one condition per expression,
 *   field=v  field!=v  field>v  field>=v  field<v  field<=v
 *   field in a,b,c  field exists  field !exists  field contains v
 * compiled to core's `where` object. Several conditions on one field combine (`n>=1`,
 * `n<10`). Syntax mistakes are usage errors; core checks field paths and value types.
 */
export function parseWhere(expressions: string[]): Record<string, FieldCondition> {
  const byField = new Map<string, FieldOperators>()
  for (const expression of expressions) {
    const { field, op, value } = parseCondition(expression)
    const ops = byField.get(field) ?? {}
    if (op in ops) throw new UsageError(`--where: ${field} has two "${OPERATOR_NAMES[op]}" conditions; give one`)
    Object.assign(ops, { [op]: value })
    byField.set(field, ops)
  }
  // fromEntries defines each field as an own property: assigning `where['__proto__']` would
  // set the object's prototype and drop the condition.
  return Object.fromEntries(
    [...byField].map(([field, ops]): [string, FieldCondition] => {
      const keys = Object.keys(ops)
      // A lone equality is written as the bare value, the form core documents first.
      return [field, keys.length === 1 && keys[0] === '$eq' ? (ops.$eq as Scalar) : ops]
    }),
  )
}

type Operator = keyof FieldOperators

const OPERATOR_NAMES: Record<Operator, string> = {
  $eq: '=',
  $ne: '!=',
  $gt: '>',
  $gte: '>=',
  $lt: '<',
  $lte: '<=',
  $in: 'in',
  $exists: 'exists',
  $contains: 'contains',
}

const SYMBOLS: Record<string, Operator> = { '=': '$eq', '==': '$eq', '!=': '$ne', '>': '$gt', '>=': '$gte', '<': '$lt', '<=': '$lte' }

const FIELD = '[A-Za-z0-9_][A-Za-z0-9_.-]*'
const COMPARISON = new RegExp(`^\\s*(${FIELD})\\s*(>=|<=|!=|==|=|>|<)\\s*(.*?)\\s*$`, 's')
const WORD = new RegExp(`^\\s*(${FIELD})\\s+(in|contains|exists|!exists|not\\s+exists)(?:\\s+(.*?))?\\s*$`, 'is')

interface Condition {
  field: string
  op: Operator
  value: FieldOperators[Operator]
}

function parseCondition(expression: string): Condition {
  const word = WORD.exec(expression)
  if (word) {
    const [, field = '', keyword = '', rest] = word
    const kw = keyword.toLowerCase().replace(/\s+/g, ' ')
    if (kw === 'exists' || kw === '!exists' || kw === 'not exists') {
      if (rest !== undefined && rest !== '') throw syntax(expression, `"${kw}" takes no value`)
      return { field, op: '$exists', value: kw === 'exists' }
    }
    if (rest === undefined || rest === '') throw syntax(expression, `"${kw}" needs a value`)
    if (kw === 'in') return { field, op: '$in', value: splitList(rest).map(parseScalar) }
    return { field, op: '$contains', value: parseScalar(rest) }
  }
  const comparison = COMPARISON.exec(expression)
  if (comparison) {
    const [, field = '', symbol = '', raw = ''] = comparison
    // `n >> 3` or `n =< 3` is a typo, not a comparison with the string "> 3".
    if (/^[<>=!]/.test(raw)) throw syntax(expression, `unknown operator ${JSON.stringify(symbol + raw.charAt(0))}; quote a value that starts with one`)
    return { field, op: SYMBOLS[symbol]!, value: parseScalar(raw) }
  }
  throw syntax(expression, 'expected field=v, field>=v, field in a,b, field exists, field contains v …')
}

function splitList(text: string): string[] {
  const items = text.split(',').map((s) => s.trim())
  if (items.some((s) => s === '')) throw syntax(text, 'a list is values separated by commas, none of them empty')
  return items
}

function syntax(expression: string, why: string): UsageError {
  return new UsageError(`--where ${JSON.stringify(expression)}: ${why}`)
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

/**
 * A value as typed on the command line: a number when it reads as one (in canonical form, so
 * an identifier such as `007` stays a string), `true`, `false` or `null` as literals, else a
 * string. Quotes around it force a string: `"42"`.
 */
export function parseScalar(text: string): Scalar {
  const t = text.trim()
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0]) return t.slice(1, -1)
  if (t === 'true') return true
  if (t === 'false') return false
  if (t === 'null') return null
  if (NUMBER.test(t)) {
    const n = Number(t)
    if (Number.isFinite(n)) return n
  }
  return t
}
