import { compileQuery, type FieldCondition, InvalidQueryError, type Scalar } from '@assets/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../src/args.js'
import { parseScalar, parseWhere } from '../src/where-parser.js'

const FIELD_CHARS = 'abcXYZ019_.-'.split('')
const field = fc.oneof(
  fc.tuple(fc.constantFrom(...'abX0_'.split('')), fc.string({ unit: fc.constantFrom(...FIELD_CHARS), maxLength: 10 })).map(([a, b]) => a + b),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'),
)
const text = fc.string({ maxLength: 10 })
// Every scalar the command line can say: a number in canonical form, a literal or a string.
const scalar: fc.Arbitrary<Scalar> = fc.oneof(text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)), fc.boolean(), fc.constant(null))
const listItem = scalar.filter((v) => typeof v !== 'string' || !v.includes(','))

/** How a user would type a value: numbers and literals as themselves, strings quoted. */
const print = (v: Scalar): string => (typeof v === 'string' ? `"${v}"` : String(v))

type Op = '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte' | '$in' | '$exists' | '$contains'
const SYMBOL: Record<string, string> = { $eq: '=', $ne: '!=', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }
const condition = fc.oneof(
  fc.record({ op: fc.constantFrom<Op>('$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$contains'), value: scalar }),
  fc.record({ op: fc.constant<Op>('$in'), value: fc.array(listItem, { minLength: 1, maxLength: 4 }) }),
  fc.record({ op: fc.constant<Op>('$exists'), value: fc.boolean() }),
)

function expression(f: string, op: Op, value: unknown): string {
  if (op === '$exists') return `${f} ${value ? 'exists' : 'not exists'}`
  if (op === '$in') return `${f} in ${(value as Scalar[]).map(print).join(', ')}`
  if (op === '$contains') return `${f} contains ${print(value as Scalar)}`
  return `${f}${SYMBOL[op]}${print(value as Scalar)}`
}

/** The where object parseWhere documents for these conditions: a lone $eq is the bare value. */
function expected(conds: Array<{ field: string; op: Op; value: unknown }>): Record<string, FieldCondition> {
  const byField = new Map<string, Record<string, unknown>>()
  for (const c of conds) byField.set(c.field, { ...byField.get(c.field), [c.op]: c.value })
  const where: Record<string, FieldCondition> = {}
  for (const [f, ops] of byField) {
    const keys = Object.keys(ops)
    Object.defineProperty(where, f, { value: keys.length === 1 && keys[0] === '$eq' ? ops.$eq : ops, enumerable: true, writable: true, configurable: true })
  }
  return where
}

describe('--where (properties)', () => {
  it('conditions printed as expressions parse back to the same where object, every field its own', () => {
    const conditions = fc
      .uniqueArray(fc.tuple(field, condition), { selector: ([f, c]) => `${f} ${c.op}`, maxLength: 6 })
      .map((cs) => cs.map(([f, c]) => ({ field: f, op: c.op, value: c.value })))
    fc.assert(
      fc.property(conditions, (conds) => {
        const where = parseWhere(conds.map((c) => expression(c.field, c.op, c.value)))
        expect(Object.keys(where).sort()).toEqual([...new Set(conds.map((c) => c.field))].sort())
        expect(where).toEqual(expected(conds))
      }),
      { numRuns: 300 },
    )
  })

  it('a scalar printed the way a user types it reads back as itself', () => {
    fc.assert(
      fc.property(scalar, (v) => {
        expect(parseScalar(print(v))).toEqual(v)
      }),
    )
  })

  it('any expression is a where object or a UsageError; core then compiles it or refuses it with InvalidQueryError', () => {
    const fragment = fc.constantFrom('=', '==', '!=', '>', '>=', '<', '<=', ' in ', ' contains ', ' exists', ' not exists', ',', '"', "'", ' ', '.', '__proto__', 'a', '1', '1e999', 'null')
    const expr = fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.oneof(fragment, fc.string({ maxLength: 3 })), { maxLength: 8 }).map((p) => p.join('')))
    fc.assert(
      fc.property(fc.array(expr, { maxLength: 3 }), (exprs) => {
        let where: Record<string, FieldCondition>
        try {
          where = parseWhere(exprs)
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError)
          return
        }
        expect(Object.getPrototypeOf(where)).toBe(Object.prototype)
        try {
          compileQuery({ where })
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidQueryError)
        }
      }),
      { numRuns: 500 },
    )
  })
})

describe('--where: cases the properties found', () => {
  it('a condition on a field named __proto__ is kept as that field, not dropped (it was lost as the prototype)', () => {
    const where = parseWhere(['__proto__>=3', 'n=1'])
    expect(Object.keys(where)).toEqual(['__proto__', 'n'])
    expect(compileQuery({ where }).clauses).toEqual([
      { path: ['__proto__'], op: '$gte', value: 3 },
      { path: ['n'], op: '$eq', value: 1 },
    ])
  })
})
