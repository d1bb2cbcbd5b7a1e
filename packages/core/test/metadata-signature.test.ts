import { describe, expect, it } from 'vitest'
import { compileQuery, METADATA_SIGNATURE_BITS, metadataSignature, querySignature } from '../src/index.js'

const covers = (row: number, mask: number): boolean => (BigInt(row) & BigInt(mask)) === BigInt(mask)
const maskOf = (where: Parameters<typeof compileQuery>[0] extends infer Q ? (Q extends { where?: infer W } ? W : never) : never) =>
  querySignature(compileQuery({ where }).clauses)

describe('metadata signature', () => {
  it('a row always covers the mask of an equality it satisfies, nested fields included', () => {
    const metadata = { organism: 'human', n_cells: 2, qc: { passed: true, note: null }, tags: ['a'] }
    const row = metadataSignature(metadata)
    expect(covers(row, maskOf({ organism: 'human' }))).toBe(true)
    expect(covers(row, maskOf({ organism: 'human', n_cells: 2.0 }))).toBe(true)
    expect(covers(row, maskOf({ 'qc.passed': true, 'qc.note': null }))).toBe(true)
  })

  it('is a safe integer within the declared bits, and 0 for empty metadata', () => {
    const row = metadataSignature({ a: 1, b: 'x', c: false, d: { e: 2 } })
    expect(Number.isSafeInteger(row)).toBe(true)
    expect(row).toBeLessThan(2 ** METADATA_SIGNATURE_BITS)
    expect(metadataSignature({})).toBe(0)
  })

  it('tells values of other types apart: the number 2, the text "2" and true set other bits', () => {
    const masks = [maskOf({ x: 2 }), maskOf({ x: '2' }), maskOf({ x: true }), maskOf({ x: null })]
    expect(new Set(masks).size).toBe(4)
  })

  it('leaves array elements out, since equality never matches inside an array', () => {
    expect(metadataSignature({ tags: ['human'] })).toBe(0)
  })

  it('only $eq clauses narrow a query; other operators give no mask', () => {
    expect(maskOf({ n: { $gt: 1 }, tags: { $contains: 'a' }, x: { $ne: 1 } })).toBe(0)
    expect(maskOf({ n: { $gt: 1 }, organism: 'human' })).toBe(maskOf({ organism: 'human' }))
  })

  it('is stable across releases: stored signatures depend on these exact values', () => {
    expect(metadataSignature({ organism: 'human' })).toBe(maskOf({ organism: 'human' }))
    expect(metadataSignature({ organism: 'human', tissue: 'blood' }).toString(2).split('1').length - 1).toBeLessThanOrEqual(2)
    expect(maskOf({ organism: 'human' })).toMatchInlineSnapshot(`70368744177664`)
  })
})
