import { describe, expect, it } from 'vitest'
import { UsageError } from '../src/args.js'
import { parseScalar, parseWhere } from '../src/where-parser.js'

describe('parseWhere', () => {
  it('reads each comparison into core operators', () => {
    expect(parseWhere(['organism=human'])).toEqual({ organism: 'human' })
    expect(parseWhere(['organism == human'])).toEqual({ organism: 'human' })
    expect(parseWhere(['n_cells>=1000'])).toEqual({ n_cells: { $gte: 1000 } })
    expect(parseWhere(['n_cells > 1000'])).toEqual({ n_cells: { $gt: 1000 } })
    expect(parseWhere(['n_cells<5'])).toEqual({ n_cells: { $lt: 5 } })
    expect(parseWhere(['n_cells<=5'])).toEqual({ n_cells: { $lte: 5 } })
    expect(parseWhere(['tissue!=blood'])).toEqual({ tissue: { $ne: 'blood' } })
    expect(parseWhere(['created>=2025-01-01'])).toEqual({ created: { $gte: '2025-01-01' } })
  })

  it('reads the word operators', () => {
    expect(parseWhere(['organism in human, mouse,42'])).toEqual({ organism: { $in: ['human', 'mouse', 42] } })
    expect(parseWhere(['doi exists'])).toEqual({ doi: { $exists: true } })
    expect(parseWhere(['doi !exists'])).toEqual({ doi: { $exists: false } })
    expect(parseWhere(['doi not exists'])).toEqual({ doi: { $exists: false } })
    expect(parseWhere(['labels contains T cell'])).toEqual({ labels: { $contains: 'T cell' } })
    expect(parseWhere(['stats.n_cells IN 1,2'])).toEqual({ 'stats.n_cells': { $in: [1, 2] } })
  })

  it('combines conditions on one field and keeps fields apart', () => {
    expect(parseWhere(['n>=1', 'n<10', 'organism=human'])).toEqual({ n: { $gte: 1, $lt: 10 }, organism: 'human' })
    expect(parseWhere(['n=3', 'n!=4'])).toEqual({ n: { $eq: 3, $ne: 4 } })
  })

  it('refuses what it cannot read, as usage errors', () => {
    for (const bad of ['organism', 'n >> 3', 'n =< 3', 'n in', 'n in a,,b', 'doi exists yes', '=human', 'a b=c', 'labels contains']) {
      expect(() => parseWhere([bad]), bad).toThrow(UsageError)
    }
    expect(() => parseWhere(['n>=1', 'n>=2'])).toThrow(/two ">=" conditions/)
  })
})

describe('parseScalar', () => {
  it('numbers in canonical form, literals, and strings for everything else', () => {
    expect(parseScalar('42')).toBe(42)
    expect(parseScalar('-1.5e3')).toBe(-1500)
    expect(parseScalar('0.25')).toBe(0.25)
    expect(parseScalar('007')).toBe('007')
    expect(parseScalar('1e999')).toBe('1e999')
    expect(parseScalar('true')).toBe(true)
    expect(parseScalar('false')).toBe(false)
    expect(parseScalar('null')).toBe(null)
    expect(parseScalar('True')).toBe('True')
    expect(parseScalar('"42"')).toBe('42')
    expect(parseScalar("'null'")).toBe('null')
    expect(parseScalar(' human ')).toBe('human')
    expect(parseScalar('')).toBe('')
  })
})
