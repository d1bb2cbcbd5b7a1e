import { describe, expect, it } from 'vitest'
import {
  checkDeclarativeSchema, parseDeclarativeSchema, type StructureArray, type StructureColumn, type StructureDataFrame, type StructureGroup,
  type StructureNode, type StructureScalar,
} from '../src/declarative/index.js'
import { InvalidInputError } from '../src/errors/index.js'

// A small in-memory structure: what a file format adapter hands the checker.
function column(path: string, dtype: string, values: unknown[], extra: Partial<StructureColumn> = {}): StructureColumn {
  return { path, dtype, categorical: false, nullable: values.includes(null), length: values.length, values: async () => values, ...extra }
}
function frame(path: string, columns: Record<string, StructureColumn>, index?: StructureColumn): StructureDataFrame {
  const length = Object.values(columns)[0]?.length ?? index?.length ?? 0
  return { kind: 'dataframe', path, attributes: {}, length, columnNames: Object.keys(columns), column: async (n) => columns[n], index: async () => index }
}
function group(path: string, children: Record<string, StructureNode>, attributes: Record<string, unknown> = {}): StructureGroup {
  return { kind: 'group', path, attributes, keys: async () => Object.keys(children), child: async (n) => children[n] }
}
function array(path: string, dtype: string, shape: number[], values?: number[], encoding: StructureArray['encoding'] = 'dense'): StructureArray {
  return {
    kind: 'array', path, attributes: {}, dtype, shape, encoding,
    scan:
      values &&
      (async (visit) => {
        visit(values)
        return values.length
      }),
  }
}
const scalar = (path: string, dtype: string, value: unknown): StructureScalar => ({ kind: 'scalar', path, attributes: {}, dtype, value: async () => value })

const SCHEMA = `
version: 1
types:
  counts: {type: ndarray, allowed_dtypes: [float32], ndim: 2, shape: [n_obs, n_vars]}
validators:
  - id: pbmc
    type: AnnData
    required: [obs, var, X, uns]
    properties:
      X: {type: counts, values: {integer: true, finite: true}}
      obs:
        type: dataframe
        required: [cell_type, n_genes, batch]
        forbidden: [organism]
        columns:
          cell_type: {dtype: string, categorical: true, enum: [T cell, B cell]}
          n_genes: {dtype: integer, min: 0, max: 10000}
          score: {dtype: float, min: 0}
          batch: {dtype: string, pattern: '^b[0-9]+$', nullable: false}
      var:
        type: dataframe
        index: {pattern: '^ENSG[0-9]{11}$', unique: true}
      uns:
        type: object
        required: [title]
        properties:
          title: {type: string}
          params: {type: object, required: [n_pcs]}
      obsm:
        type: object
        min_pattern_matches: 1
        pattern_properties:
          '^X_': {type: ndarray, ndim: 2, shape: [n_obs, {min: 2}]}
`

function anndata(overrides: Record<string, StructureNode> = {}): StructureGroup {
  const obs = frame('obs', {
    cell_type: column('obs/cell_type', 'string', ['T cell', 'B cell', 'T cell'], { categorical: true }),
    n_genes: column('obs/n_genes', 'int64', [10, 20, 30]),
    batch: column('obs/batch', 'string', ['b1', 'b2', 'b1']),
  })
  const vars = frame('var', {}, column('var/_index', 'string', ['ENSG00000000001', 'ENSG00000000002']))
  return group('', {
    obs,
    var: vars,
    X: array('X', 'float32', [3, 2], [1, 0, 2, 0, 3, 4]),
    uns: group('uns', { title: scalar('uns/title', 'string', 'pbmc'), params: group('uns/params', { n_pcs: scalar('uns/params/n_pcs', 'int64', 5) }) }),
    obsm: group('obsm', { X_pca: array('obsm/X_pca', 'float32', [3, 5]) }),
    ...overrides,
  })
}
const dims = { n_obs: 3, n_vars: 2 }

describe('declarative schema documents', () => {
  it('parses YAML with named types expanded into the elements that use them', () => {
    const schema = parseDeclarativeSchema(SCHEMA)
    const x = schema.validators[0]!.properties!.X as { type: string; allowed_dtypes: string[]; values: unknown }
    expect(x).toMatchObject({ type: 'ndarray', allowed_dtypes: ['float32'], ndim: 2, values: { integer: true, finite: true } })
  })

  it('refuses unknown fields, element types and dtypes, listing each with its place', () => {
    const error = (() => {
      try {
        parseDeclarativeSchema({
          validators: [{ id: 'a', type: 'AnnData', colour: 'red', properties: { X: { type: 'ndarray', allowed_dtypes: ['float33'] }, y: { type: 'tensor' } } }],
          extra: 1,
        })
      } catch (e) {
        return e
      }
    })()
    expect(InvalidInputError.isInstance(error)).toBe(true)
    const message = (error as Error).message
    expect(message).toContain('extra: unknown field')
    expect(message).toContain('unknown dtype "float33"')
    expect(message).toContain('unknown element type "tensor"')
  })

  it('refuses a validator without an id, an unknown validator type and a bad regular expression', () => {
    expect(() => parseDeclarativeSchema({ validators: [{ type: 'AnnData' }] })).toThrow(/id/)
    expect(() => parseDeclarativeSchema({ validators: [{ id: 'a', type: 'Parquet' }] })).toThrow(/validators\/0\/type/)
    expect(() => parseDeclarativeSchema({ validators: [{ id: 'a', type: 'CSV', properties: { c: { pattern: '([' } } }] })).toThrow(/not a valid regular expression/)
  })

  it('refuses YAML alias bombs, self-referencing types and oversized documents', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`), 'validators: []'].join('\n')
    expect(() => parseDeclarativeSchema(bomb)).toThrow(InvalidInputError)
    expect(() => parseDeclarativeSchema({ types: { a: { type: 'a' } }, validators: [{ id: 'v', type: 'Zarr', properties: { x: { type: 'a' } } }] })).toThrow(/refers to itself/)
    expect(() => parseDeclarativeSchema(`# ${'x'.repeat(1024 * 1024)}\nvalidators: []`)).toThrow(/larger than/)
  })

  it('refuses YAML tags beyond the core types instead of reading them as objects or strings', () => {
    const tagged = ['description: !!js/function "function () { return 1 }"', 'description: !!binary aGVsbG8=', 'description: !custom x']
    for (const line of tagged) {
      expect(() => parseDeclarativeSchema(`${line}\nvalidators:\n  - {id: a, type: CSV}\n`)).toThrow(/tag not allowed at line 1/)
    }
    expect(parseDeclarativeSchema('description: !!str plain\nvalidators:\n  - {id: a, type: CSV}\n').description).toBe('plain')
    expect(() => parseDeclarativeSchema('validators:\n  - !!js/function "function () { return 1 }"')).toThrow(InvalidInputError)
  })
})

describe('checking a structure against a schema', () => {
  const schema = parseDeclarativeSchema(SCHEMA)

  it('accepts a structure that keeps every rule', async () => {
    expect(await checkDeclarativeSchema(schema, anndata(), { types: ['AnnData'], dims, values: true })).toEqual([])
  })

  it('reports every failure at once, each with its path and a stable code', async () => {
    const obs = frame('obs', {
      cell_type: column('obs/cell_type', 'string', ['T cell', 'NK cell', 'T cell']),
      n_genes: column('obs/n_genes', 'int64', [10, -1, 30]),
      score: column('obs/score', 'string', ['a', 'b', 'c']),
      organism: column('obs/organism', 'string', ['human', 'human', 'human']),
    })
    const vars = frame('var', {}, column('var/_index', 'string', ['ENSG00000000001', 'ENSG00000000001', 'ENSG00000000002.5']))
    const root = anndata({
      obs,
      var: vars,
      X: array('X', 'float64', [3, 2, 1], undefined),
      uns: group('uns', { params: group('uns/params', {}) }),
      obsm: group('obsm', { X_umap: array('obsm/X_umap', 'float32', [4, 1]) }),
    })
    const issues = await checkDeclarativeSchema(schema, root, { types: ['AnnData'], dims })
    const found = issues.map((i) => `${i.code} ${i.path}`).sort()
    expect(found).toEqual(
      [
        'MISSING_COLUMN obs/batch',
        'FORBIDDEN_COLUMN obs/organism',
        'WRONG_ENCODING obs/cell_type',
        'VALUE_NOT_ALLOWED obs/cell_type',
        'WRONG_DTYPE obs/score',
        'OUT_OF_RANGE obs/n_genes',
        'PATTERN_MISMATCH var/_index',
        'DUPLICATE_VALUE var/_index',
        'WRONG_DTYPE X',
        'WRONG_NDIM X',
        'MISSING_KEY uns/title',
        'MISSING_KEY uns/params/n_pcs',
        'WRONG_SHAPE obsm/X_umap',
        'WRONG_SHAPE obsm/X_umap',
      ].sort(),
    )
    expect(issues.every((i) => i.severity === 'error' && i.validator === 'pbmc')).toBe(true)
  })

  it('reads matrix values only when value checks are asked for', async () => {
    const root = anndata({ X: array('X', 'float32', [3, 2], [1.5, 0, Number.POSITIVE_INFINITY, 0, 3, 4]) })
    expect(await checkDeclarativeSchema(schema, root, { types: ['AnnData'], dims })).toEqual([])
    const issues = await checkDeclarativeSchema(schema, root, { types: ['AnnData'], dims, values: true })
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['NOT_FINITE', 'X'],
      ['NOT_INTEGER', 'X'],
    ])
  })

  it('binds a named size on first use and holds later dimensions to it', async () => {
    const doc = parseDeclarativeSchema({
      validators: [{ id: 'z', type: 'Zarr', properties: { a: { type: 'ndarray', shape: ['n', 4] }, b: { type: 'ndarray', shape: ['n'], chunks: [2] } } }],
    })
    const ok = group('', { a: array('a', 'int32', [6, 4]), b: { ...array('b', 'int32', [6]), chunks: [2] } })
    expect(await checkDeclarativeSchema(doc, ok, { types: ['Zarr'] })).toEqual([])
    const bad = group('', { a: array('a', 'int32', [6, 4]), b: { ...array('b', 'int32', [5]), chunks: [3] } })
    expect((await checkDeclarativeSchema(doc, bad, { types: ['Zarr'] })).map((i) => `${i.code} ${i.path}`)).toEqual(['WRONG_SHAPE b', 'WRONG_CHUNKS b'])
  })

  it('NaN breaks a value range even when finiteness is not asked for', async () => {
    const doc = parseDeclarativeSchema({
      validators: [{ id: 'r', type: 'Zarr', properties: { p: { type: 'ndarray', values: { min: 0, max: 1 } } } }],
    })
    const ok = group('', { p: array('p', 'float32', [3], [0, 0.5, 1]) })
    expect(await checkDeclarativeSchema(doc, ok, { types: ['Zarr'], values: true })).toEqual([])
    const nan = group('', { p: array('p', 'float32', [3], [0.5, Number.NaN, Number.NaN]) })
    expect((await checkDeclarativeSchema(doc, nan, { types: ['Zarr'], values: true })).map((i) => `${i.code} ${i.path}`)).toEqual(['OUT_OF_RANGE p'])
  })

  it('checks sparse encodings and dense matrices that should be sparse', async () => {
    const doc = parseDeclarativeSchema({
      validators: [{ id: 's', type: 'AnnData', properties: { X: { type: 'ndarray', encodings: ['dense', 'csr'], sparse_above_zero_fraction: 0.5 }, Y: { type: 'sparse' } } }],
    })
    const root = group('', { X: array('X', 'float32', [2, 2], [0, 0, 0, 1]), Y: array('Y', 'float32', [2, 2], [], 'dense') })
    const issues = await checkDeclarativeSchema(doc, root, { types: ['AnnData'], values: true })
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual(['SHOULD_BE_SPARSE X', 'WRONG_ENCODING Y'])
    const csc = group('', { X: array('X', 'float32', [2, 2], [1], 'csc'), Y: array('Y', 'float32', [2, 2], [], 'csr') })
    expect((await checkDeclarativeSchema(doc, csc, { types: ['AnnData'], values: true })).map((i) => `${i.code} ${i.path}`)).toEqual(['WRONG_ENCODING X'])
  })

  it('reports failures of a warning-severity validator as warnings and checks required attributes', async () => {
    const doc = parseDeclarativeSchema({
      validators: [{ id: 'w', type: 'Zarr', severity: 'warning', attributes: { 'encoding-type': { required: true, enum: ['anndata'] } }, required: ['X'] }],
    })
    const issues = await checkDeclarativeSchema(doc, group('', {}, { 'encoding-type': 'dict' }), { types: ['Zarr'] })
    expect(issues.map((i) => [i.severity, i.code, i.path])).toEqual([
      ['warning', 'VALUE_NOT_ALLOWED', '@encoding-type'],
      ['warning', 'MISSING_KEY', 'X'],
    ])
  })

  it('checks Table validators against a dataframe and says when no validator fits the asset', async () => {
    const doc = parseDeclarativeSchema({ validators: [{ id: 't', type: 'CSV', required: ['id', 'age'], properties: { age: { dtype: 'integer', min: 0 } } }] })
    const table = frame('', { id: column('id', 'string', ['a', 'b']), age: column('age', 'int64', [3, -4]) })
    expect((await checkDeclarativeSchema(doc, table, { types: ['Table'] })).map((i) => `${i.code} ${i.path}`)).toEqual(['OUT_OF_RANGE age'])
    expect((await checkDeclarativeSchema(doc, table, { types: ['AnnData'] })).map((i) => i.code)).toEqual(['NO_MATCHING_VALIDATOR'])
  })
})
