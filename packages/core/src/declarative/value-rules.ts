import type { ValueRule } from './schema-types.js'

export interface ValueFailure {
  code: 'VALUE_NOT_ALLOWED' | 'PATTERN_MISMATCH' | 'OUT_OF_RANGE' | 'NOT_INTEGER' | 'NOT_FINITE' | 'DUPLICATE_VALUE' | 'MISSING_VALUE' | 'WRONG_TYPE'
  message: string
}

const SHOWN = 3

/** Tallies each rule's failures over many values and says what failed, with a few examples. */
export class ValueRuleTally {
  private readonly counts = new Map<ValueFailure['code'], { count: number; examples: string[]; rule: string }>()
  private readonly pattern?: RegExp
  private readonly allowed?: Set<unknown>
  private readonly seen?: Set<unknown>

  constructor(
    private readonly rule: ValueRule,
    private readonly nullable = true,
  ) {
    if (rule.pattern !== undefined) this.pattern = new RegExp(rule.pattern, 'u')
    if (rule.enum) this.allowed = new Set(rule.enum)
    if (rule.unique) this.seen = new Set()
  }

  /** True when any rule needs to look at values at all. */
  static needsValues(rule: ValueRule, nullable = true): boolean {
    return (
      rule.enum !== undefined || rule.pattern !== undefined || rule.min !== undefined || rule.max !== undefined ||
      rule.integer === true || rule.finite === true || rule.unique === true || !nullable
    )
  }

  add(value: unknown): void {
    if (value === null || value === undefined) {
      if (!this.nullable) this.fail('MISSING_VALUE', 'missing', 'no missing values')
      return
    }
    const v = typeof value === 'bigint' ? Number(value) : value
    if (this.allowed && !this.allowed.has(v)) this.fail('VALUE_NOT_ALLOWED', v, `one of ${[...this.allowed].map((a) => JSON.stringify(a)).join(', ')}`)
    if (this.pattern) {
      if (typeof v !== 'string') this.fail('WRONG_TYPE', v, 'a string')
      else if (!this.pattern.test(v)) this.fail('PATTERN_MISMATCH', v, `matching /${this.rule.pattern}/`)
    }
    if (typeof v === 'number') {
      if (this.rule.finite && !Number.isFinite(v)) this.fail('NOT_FINITE', v, 'finite')
      else if (this.rule.integer && !Number.isInteger(v)) this.fail('NOT_INTEGER', v, 'whole numbers')
      if ((this.rule.min !== undefined && v < this.rule.min) || (this.rule.max !== undefined && v > this.rule.max)) {
        this.fail('OUT_OF_RANGE', v, `within [${this.rule.min ?? '-∞'}, ${this.rule.max ?? '∞'}]`)
      }
    } else if ((this.rule.min !== undefined || this.rule.max !== undefined || this.rule.integer) && !this.pattern && !this.allowed) {
      this.fail('WRONG_TYPE', v, 'numbers')
    }
    if (this.seen) {
      if (this.seen.has(v)) this.fail('DUPLICATE_VALUE', v, 'unique')
      this.seen.add(v)
    }
  }

  addAll(values: ArrayLike<unknown>): void {
    for (let i = 0; i < values.length; i++) this.add(values[i])
  }

  failures(): ValueFailure[] {
    return [...this.counts].map(([code, { count, examples, rule }]) => ({
      code,
      message: `${count} value${count === 1 ? '' : 's'} not ${rule} (e.g. ${examples.join(', ')})`,
    }))
  }

  private fail(code: ValueFailure['code'], value: unknown, rule: string): void {
    const entry = this.counts.get(code) ?? { count: 0, examples: [], rule }
    entry.count++
    if (entry.examples.length < SHOWN) entry.examples.push(typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(value))
    this.counts.set(code, entry)
  }
}
