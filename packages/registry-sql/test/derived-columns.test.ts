import { compileQuery, defaultAccessControl, sha256 } from '@assets/core'
import { describe, expect, it } from 'vitest'
import { checkPath, deriveMetadataColumns, SqlParams, splitStatements, versionValues } from '../src/index.js'

describe('derived metadata columns', () => {
  it('keeps the instant of each ISO 8601 date string, and nothing for other text', () => {
    const { dates } = deriveMetadataColumns({
      plain: '2024-01-15',
      offset: '2024-01-15T01:30:00+02:00',
      spaced: '2024-01-15 10:00',
      julian: '2460000.5',
      time: '10:30',
      impossible: '2024-13-01',
      now: 'now',
      nested: { at: '2023-06-01T00:00:00Z', 'not.a.segment': '2023-06-01' },
      inArray: ['2024-01-15'],
    })
    expect(dates).toEqual({
      plain: '2024-01-15T00:00:00.000Z',
      offset: '2024-01-14T23:30:00.000Z',
      spaced: '2024-01-15T10:00:00.000Z',
      'nested.at': '2023-06-01T00:00:00.000Z',
    })
  })

  it('reads a date-time without an offset as UTC, whatever the time zone of the process', () => {
    const zone = process.env.TZ
    process.env.TZ = 'Pacific/Kiritimati'
    try {
      expect(new Date('2024-01-15T10:00').toISOString()).not.toBe('2024-01-15T10:00:00.000Z')
      const { dates } = deriveMetadataColumns({ a: '2024-01-15T10:00', b: '2024-01-15 10:00:30.5', c: '2024-01-15' })
      expect(dates).toEqual({ a: '2024-01-15T10:00:00.000Z', b: '2024-01-15T10:00:30.500Z', c: '2024-01-15T00:00:00.000Z' })
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
  })

  it('keeps arrays and objects as compact JSON in written order, by dotted path', () => {
    const { jsonTexts } = deriveMetadataColumns({ labels: ['b', 'a'], stats: { z: 1, a: { y: [2] } } })
    expect(jsonTexts).toEqual({ labels: '["b","a"]', stats: '{"z":1,"a":{"y":[2]}}', 'stats.a': '{"y":[2]}', 'stats.a.y': '[2]' })
  })

  it('a version row carries the folded key and description and the version columns', () => {
    const digest = sha256('x')
    const values = versionValues({
      key: 'datasets/Zellatlas', version: '1.2.3-rc.10', kind: 'dataset', type: 'file', digest, size: 1, fileCount: 1, location: 'blobs/x',
      description: 'ÜBERSICHT', metadata: { at: '2024-01-15' }, relationships: [], accessControl: defaultAccessControl({ user: 'ada' }),
      createdBy: 'user:ada', createdAt: '2024-01-01T00:00:00.000Z',
    })
    expect(values).toMatchObject({ key_folded: 'datasets/zellatlas', description_folded: 'übersicht', v_major: 1, v_minor: 2, v_patch: 3, v_prerelease: '1rc!00210' })
    expect(JSON.parse(values.metadata_dates)).toEqual({ at: '2024-01-15T00:00:00.000Z' })
    expect(values.metadata_sig).not.toBe(0)
  })
})

describe('SQL text', () => {
  it('placeholders come in the order values are added, once each', () => {
    const positional = new SqlParams(() => '?')
    expect([positional.add('a'), positional.list([1, 2]), positional.add(null)]).toEqual(['?', '?, ?', '?'])
    expect(positional.values).toEqual(['a', 1, 2, null])
    const numbered = new SqlParams((i) => `$${i}`)
    expect(`${numbered.add('a')} ${numbered.list(['b', 'c'])}`).toBe('$1 $2, $3')
  })

  it('migrations split into statements at semicolons that end a line', () => {
    const sql = `
      -- a comment; with a semicolon
      CREATE TABLE a (x TEXT CHECK (x <> ';'));
      CREATE INDEX a_x ON a (x);
      ALTER TABLE a ADD COLUMN y TEXT;`
    expect(splitStatements(sql)).toEqual([
      "-- a comment; with a semicolon\n      CREATE TABLE a (x TEXT CHECK (x <> ';'))",
      'CREATE INDEX a_x ON a (x)',
      'ALTER TABLE a ADD COLUMN y TEXT',
    ])
    expect(splitStatements('')).toEqual([])
  })

  it('a metadata path reaches SQL only as checked segments', () => {
    expect(checkPath(['stats', 'n_genes'])).toEqual(['stats', 'n_genes'])
    for (const bad of [[], ['a.b'], [`x"); DROP TABLE versions; --`], ['']]) expect(() => checkPath(bad)).toThrow(/invalid metadata path/)
    expect(compileQuery({ where: { 'stats.n_genes': 3 } }).clauses[0]?.path).toEqual(['stats', 'n_genes'])
  })
})

describe('bounded derived columns', () => {
  it('a deeply nested document stores a bounded text per level, never a lone surrogate', () => {
    let deep: Record<string, unknown> = { leaf: 'x'.repeat(10_000) }
    for (let i = 0; i < 60; i++) deep = { [`l${i}`]: deep }
    const { jsonTexts } = deriveMetadataColumns(deep)
    expect(Object.keys(jsonTexts)).toHaveLength(60)
    expect(Math.max(...Object.values(jsonTexts).map((t) => t.length))).toBeLessThanOrEqual(256)
    const emoji = deriveMetadataColumns({ list: [`${'a'.repeat(253)}😀😀`] }).jsonTexts.list as string
    expect(emoji.length).toBe(255)
    expect(emoji.endsWith('a')).toBe(true)
  })
})
