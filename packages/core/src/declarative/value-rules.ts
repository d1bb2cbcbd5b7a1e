import type { ValueRule } from './schema-types.js'
import { sortedKeys } from './matrix-rows.js'
import type { StructureColumn } from './structure.js'

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
    // An index (300 000 cell names) has only `unique`: one tight loop over a Set.
    const r = this.rule
    if (this.seen && !this.allowed && !this.pattern && r.min === undefined && r.max === undefined && !r.integer && !r.finite) {
      const seen = this.seen
      for (let i = 0; i < values.length; i++) {
        const v = values[i]
        if (v === null || v === undefined || typeof v === 'bigint') {
          this.add(v)
          continue
        }
        const before = seen.size
        if (seen.add(v).size === before) this.fail('DUPLICATE_VALUE', v, 'unique')
      }
      return
    }
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

/**
 * Uniqueness over a streamed column in 8 bytes per cell: a 64-bit hash of each value (two
 * 32-bit FNV-style lanes), sorted at the end; repeated hashes are named by a second pass.
 */
export class UniqueByHash {
  /** Lane a and lane b of each value, interleaved; sized up front when the length is known. */
  private pairs: Uint32Array
  private n = 0

  constructor(expected = 1024) {
    this.pairs = new Uint32Array(2 * Math.max(1, expected))
  }

  addAll(values: ArrayLike<unknown>): void {
    if (2 * (this.n + values.length) > this.pairs.length) {
      const grown = new Uint32Array(Math.max(2 * (this.n + values.length), this.pairs.length * 2))
      grown.set(this.pairs.subarray(0, 2 * this.n))
      this.pairs = grown
    }
    for (let i = 0; i < values.length; i++, this.n++) hashValue(values[i], this.pairs, 2 * this.n)
  }

  /** A message naming a few repeated values, or undefined when every value is unique. */
  async duplicates(column: StructureColumn, signal?: AbortSignal): Promise<string | undefined> {
    const keys = sortedKeys(this.pairs.subarray(0, 2 * this.n))
    const words = new Uint32Array(keys.buffer)
    let count = 0
    const repeated = new Set<bigint>()
    for (let i = 1; i < keys.length; i++) {
      if (words[2 * i] !== words[2 * i - 2] || words[2 * i + 1] !== words[2 * i - 1]) continue
      count++
      if (repeated.size < SHOWN) repeated.add(keys[i]!)
    }
    if (count === 0) return undefined
    const examples: string[] = []
    const one = new Uint32Array(2)
    await column.scan?.((values) => {
      for (let i = 0; i < values.length && examples.length < SHOWN; i++) {
        hashValue(values[i], one, 0)
        if (repeated.delete((BigInt(one[0]!) << 32n) | BigInt(one[1]!))) examples.push(JSON.stringify(values[i]))
      }
    }, signal)
    return `${count} value${count === 1 ? '' : 's'} not unique (e.g. ${examples.join(', ')})`
  }
}

/** Writes a value's two 32-bit hash lanes at out[at], out[at + 1]. */
function hashValue(value: unknown, out: Uint32Array, at: number): void {
  const text = typeof value === 'string' ? value : `${typeof value}:${String(value)}`
  let a = 0x811c9dc5 | 0
  let b = 0x9747b28c | 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul((b + c) | 0, 0x2c1b3c6d) ^ (b >>> 15)
  }
  // The length and a final mix in each lane.
  a = Math.imul(a ^ text.length, 0x85ebca6b)
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35)
  out[at] = a ^ (a >>> 16)
  out[at + 1] = b ^ (b >>> 16)
}
