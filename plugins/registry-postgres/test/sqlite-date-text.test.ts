import { describe, expect, it } from 'vitest'
import { deriveMetadataColumns } from '../src/derived-metadata.js'
import { NOW, sqliteDateText } from '../src/sqlite-date-text.js'
import { sqliteFixed } from '../src/sqlite-printf.js'

// What SQLite 3.53 returns for strftime('%Y-%m-%dT%H:%M:%fZ', text), recorded from better-sqlite3
// 12; the parity test checks the same port against the SQLite registry itself.
const SQLITE_READS: Array<[string, string | null]> = [
  ['2024-01-15', '2024-01-15T00:00:00.000Z'],
  ['2024-01-15T10:00:00Z', '2024-01-15T10:00:00.000Z'],
  ['2024-01-15 10:00', '2024-01-15T10:00:00.000Z'],
  ['2024-01-15T12:00:00+02:00', '2024-01-15T10:00:00.000Z'],
  ['2024-01-15T01:30:00+02:00', '2024-01-14T23:30:00.000Z'],
  ['2024-01-15 10:00 -05:30', '2024-01-15T15:30:00.000Z'],
  ['2023-02-31', '2023-03-03T00:00:00.000Z'],
  ['2024-02-29T24:00', '2024-03-01T24:00:00.000Z'],
  ['10:30', '2000-01-01T10:30:00.000Z'],
  ['24:00:00', '2000-01-02T24:00:00.000Z'],
  ['2460000.5', '2023-02-25T00:00:00.000Z'],
  ['1000', '-4710-08-20T12:00:00.000Z'],
  [' 2451545 ', '2000-01-01T12:00:00.000Z'],
  ['1e3', '-4710-08-20T12:00:00.000Z'],
  ['.5', '-4713-11-25T00:00:00.000Z'],
  ['-0', '-4713-11-24T12:00:00.000Z'],
  ['-0001-01-01', '-001-01-01T00:00:00.000Z'],
  ['0000-01-01', '0000-01-01T00:00:00.000Z'],
  ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ['2024-01-15T10:00:00.1235Z', '2024-01-15T10:00:00.123Z'],
  ['2024-01-15T10:00:00.019500', '2024-01-15T10:00:00.020Z'],
  ['2024-01-15T10:00:00.2185', '2024-01-15T10:00:00.219Z'],
  ['2024-01-15T10:00:00.123456', '2024-01-15T10:00:00.123Z'],
  ['2024-01-15T10:00:00.9999', '2024-01-15T10:00:00.999Z'],
  ['2024-01-15TT10:00', '2024-01-15T10:00:00.000Z'],
  ['2024-01-15 10:00z ', '2024-01-15T10:00:00.000Z'],
  ['5373484.5', null],
  ['2024-13-01', null],
  ['2024-1-5', null],
  ['12:30:61', null],
  ['10:00+15:00', null],
  ['yesterday', null],
  ['', null],
]

describe("SQLite's reading of date strings", () => {
  it.each(SQLITE_READS)('%j reads as %j', (text, expected) => {
    expect(sqliteDateText(text)).toBe(expected)
  })

  it('now, subsec and subsecond, in any case, mean the time a query runs', () => {
    for (const text of ['now', 'NOW', 'Now', 'subsec', 'SUBSECOND']) expect(sqliteDateText(text)).toBe(NOW)
    expect(sqliteDateText(' now')).toBeNull()
  })

  it("rounds seconds as SQLite's printf does, not as toFixed does", () => {
    // 0.0195 as a double lies just below the half: toFixed gives 0.019, SQLite 0.020.
    expect(sqliteFixed(0.0195, 3)).toBe('0.020')
    expect((0.0195).toFixed(3)).toBe('0.019')
    expect(sqliteFixed(0.1235, 3)).toBe('0.123')
    expect(sqliteFixed(0.0625, 3)).toBe('0.063')
    expect(sqliteFixed(59.9999, 3)).toBe('60.000')
    expect(sqliteFixed(1e-9, 3)).toBe('0.000')
    expect(sqliteFixed(0, 3)).toBe('0.000')
  })
})

describe('derived metadata columns', () => {
  it('keep date readings and JSON texts by dotted path, through objects only', () => {
    const derived = deriveMetadataColumns({
      collected: '2024-01-15',
      label: 'not a date',
      stats: { at: '10:30', depth: { mean: 7.5 } },
      list: [{ at: '2024-01-15' }],
      'dotted.key': '2024-01-15',
      ['__proto__']: '2024-01-15',
    })
    expect(derived.dates).toEqual({
      collected: '2024-01-15T00:00:00.000Z',
      'stats.at': '2000-01-01T10:30:00.000Z',
      ['__proto__']: '2024-01-15T00:00:00.000Z',
    })
    expect(derived.jsonTexts).toEqual({
      stats: '{"at":"10:30","depth":{"mean":7.5}}',
      'stats.depth': '{"mean":7.5}',
      list: '[{"at":"2024-01-15"}]',
    })
  })
})
