import type { SchemaIssue, StructureArray, StructureDataFrame, StructureGroup, StructureNode } from '@assets/core'
import { encodingOf, h5Get, h5Node, readAttributes } from './h5-structure.js'
import { scanDataset } from './h5-slab-reader.js'
import { type H5Dataset, type H5File, quietly } from './h5wasm-loader.js'

/** What a dataset's metadata records about its shape, so that `findAssets` can query it. */
export interface AnnDataSummary {
  n_obs: number
  n_vars: number
  x_encoding?: 'dense' | 'csr' | 'csc'
  x_dtype?: string
  layers: string[]
  obsm: string[]
  obs_columns: string[]
  var_columns: string[]
  has_raw: boolean
}

const ELEMENT_ENCODINGS: Record<string, string> = {
  anndata: '0.1.0', array: '0.2.0', csr_matrix: '0.1.0', csc_matrix: '0.1.0', dataframe: '0.2.0', dict: '0.1.0', raw: '0.1.0',
  categorical: '0.2.0', 'string-array': '0.2.0', 'numeric-scalar': '0.2.0', string: '0.2.0',
  'nullable-integer': '0.1.0', 'nullable-boolean': '0.1.0', 'nullable-string-array': '0.1.0',
}

const issue = (severity: SchemaIssue['severity'], code: string, path: string, message: string): SchemaIssue => ({ severity, code, path, message })

/**
 * The AnnData on-disk rules every h5ad must keep, whatever schema it is checked against:
 * obs and var dataframes, matrix shapes agreeing with them, well-formed sparse and categorical
 * elements. Reads attributes and shapes only.
 */
export async function checkAnnData(file: H5File): Promise<{ issues: SchemaIssue[]; summary: AnnDataSummary; dims: Record<string, number> }> {
  const issues: SchemaIssue[] = []
  walkEncodings(file, '', issues, 0)
  const root = h5Node(file, '') as StructureGroup
  const obs = await frame(root, 'obs', issues)
  const vars = await frame(root, 'var', issues)
  const n_obs = obs?.length ?? 0
  const n_vars = vars?.length ?? 0
  const summary: AnnDataSummary = {
    n_obs, n_vars, layers: [], obsm: [], obs_columns: obs?.columnNames ?? [], var_columns: vars?.columnNames ?? [], has_raw: false,
  }
  const x = await root.child('X')
  if (x) {
    if (x.kind !== 'array') issues.push(issue('error', 'WRONG_TYPE', 'X', `X must be a dense or sparse matrix, found a ${x.kind}`))
    else {
      summary.x_encoding = x.encoding
      summary.x_dtype = x.dtype
      await checkMatrix(file, x, [n_obs, n_vars], issues)
    }
  }
  summary.layers = await eachChild(root, 'layers', async (node) => {
    if (node.kind === 'array') await checkMatrix(file, node, [n_obs, n_vars], issues)
    else issues.push(issue('error', 'WRONG_TYPE', node.path, 'a layer must be a matrix'))
  })
  for (const [name, n] of [['obsm', n_obs], ['varm', n_vars]] as const) {
    const keys = await eachChild(root, name, async (node) => {
      if (node.kind === 'array') await checkFirstDims(file, node, [n], issues)
      else if (node.kind === 'dataframe' && node.length !== n) issues.push(issue('error', 'WRONG_SHAPE', node.path, `has ${node.length} rows, expected ${n}`))
    })
    if (name === 'obsm') summary.obsm = keys
  }
  for (const [name, n] of [['obsp', n_obs], ['varp', n_vars]] as const) {
    await eachChild(root, name, async (node) => {
      if (node.kind === 'array') await checkFirstDims(file, node, [n, n], issues)
    })
  }
  const raw = await root.child('raw')
  if (raw?.kind === 'group') {
    summary.has_raw = true
    const rawX = await raw.child('X')
    const rawVar = await frame(raw, 'var', issues)
    if (rawX?.kind === 'array') await checkMatrix(file, rawX, [n_obs, rawVar?.length ?? rawX.shape[1] ?? 0], issues)
  }
  return { issues, summary, dims: { n_obs, n_vars } }
}

async function frame(group: StructureGroup, name: string, issues: SchemaIssue[]): Promise<StructureDataFrame | undefined> {
  const path = group.path ? `${group.path}/${name}` : name
  const node = await group.child(name)
  if (!node) {
    issues.push(issue('error', 'MISSING_KEY', path, `${path} is required in an AnnData file`))
    return undefined
  }
  if (node.kind !== 'dataframe') {
    issues.push(issue('error', 'WRONG_TYPE', path, `${path} must be a dataframe, found a ${node.kind}`))
    return undefined
  }
  for (const name of node.columnNames) {
    const column = await node.column(name)
    if (!column) issues.push(issue('error', 'MISSING_COLUMN', `${path}/${name}`, `column ${name} is listed in column-order but not stored`))
    else if (column.length !== node.length) issues.push(issue('error', 'WRONG_SHAPE', column.path, `has ${column.length} values, the index has ${node.length}`))
  }
  return node
}

async function eachChild(root: StructureGroup, name: string, check: (node: StructureNode) => Promise<void>): Promise<string[]> {
  const group = await root.child(name)
  if (group?.kind !== 'group') return []
  const keys = await group.keys()
  for (const key of keys) {
    const node = await group.child(key)
    if (node) await check(node)
  }
  return keys
}

async function checkFirstDims(file: H5File, node: StructureArray, expected: number[], issues: SchemaIssue[]): Promise<void> {
  expected.forEach((n, i) => {
    if (node.shape[i] !== n) issues.push(issue('error', 'WRONG_SHAPE', node.path, `dimension ${i} is ${node.shape[i] ?? 'absent'}, expected ${n}`))
  })
  if (node.encoding !== 'dense') await checkSparseParts(file, node, issues)
}

async function checkMatrix(file: H5File, node: StructureArray, expected: [number, number], issues: SchemaIssue[]): Promise<void> {
  if (node.shape.length !== 2) {
    issues.push(issue('error', 'WRONG_NDIM', node.path, `has ${node.shape.length} dimension(s), expected 2`))
    return
  }
  if (node.shape[0] !== expected[0] || node.shape[1] !== expected[1]) {
    issues.push(issue('error', 'WRONG_SHAPE', node.path, `shape is (${node.shape.join(', ')}), expected (${expected.join(', ')}) from obs and var`))
  }
  if (node.encoding !== 'dense') await checkSparseParts(file, node, issues)
}

/** data, indices and indptr agree with each other and with the shape. */
async function checkSparseParts(file: H5File, node: StructureArray, issues: SchemaIssue[]): Promise<void> {
  const length = (name: string): number | undefined => {
    const d = h5Get(file, `${node.path}/${name}`)
    return d && 'shape' in d ? (quietly(() => d.shape) ?? [])[0] : undefined
  }
  const [data, indices, indptr] = [length('data'), length('indices'), length('indptr')]
  for (const [name, n] of [['data', data], ['indices', indices], ['indptr', indptr]] as const) {
    if (n === undefined) issues.push(issue('error', 'MISSING_KEY', `${node.path}/${name}`, `a ${node.encoding} matrix needs ${name}`))
  }
  if (data !== undefined && indices !== undefined && data !== indices) {
    issues.push(issue('error', 'WRONG_SHAPE', `${node.path}/indices`, `has ${indices} entries, data has ${data}`))
  }
  const major = node.shape[node.encoding === 'csr' ? 0 : 1]
  if (indptr !== undefined && major !== undefined && indptr !== major + 1) {
    issues.push(issue('error', 'WRONG_SHAPE', `${node.path}/indptr`, `has ${indptr} entries, expected ${major + 1} for a ${node.encoding} matrix of shape (${node.shape.join(', ')})`))
  }
  if (indptr !== undefined && data !== undefined) await checkIndptr(file, `${node.path}/indptr`, data, issues)
}

/**
 * indptr starts at 0, never decreases and ends at the number of stored values: otherwise rows
 * (or columns) point outside data. It is one entry per row, read in slabs, never the matrix.
 */
async function checkIndptr(file: H5File, path: string, stored: number, issues: SchemaIssue[]): Promise<void> {
  const dataset = h5Get(file, path)
  if (!dataset || !('shape' in dataset)) return
  let previous: number | undefined
  let first: number | undefined
  let decreasing = false
  await scanDataset(dataset as H5Dataset, (values) => {
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i])
      if (first === undefined) first = v
      if (previous !== undefined && v < previous) decreasing = true
      previous = v
    }
  })
  if (first !== undefined && first !== 0) issues.push(issue('error', 'INVALID_SPARSE', path, `starts at ${first}, expected 0`))
  if (decreasing) issues.push(issue('error', 'INVALID_SPARSE', path, 'decreases somewhere: every entry must be at least the one before'))
  if (previous !== undefined && previous !== stored) issues.push(issue('error', 'INVALID_SPARSE', path, `ends at ${previous}, but data holds ${stored} values`))
}

/** Every element's encoding attributes; missing ones (files from anndata ≤ 0.7) are warnings. */
function walkEncodings(file: H5File, path: string, issues: SchemaIssue[], depth: number): void {
  const entity = h5Get(file, path || '/')
  if (!entity || depth > 16) return
  const attributes = readAttributes(file, entity)
  const encoding = encodingOf(attributes)
  const at = path || '(root)'
  if (encoding === undefined) {
    issues.push(issue('warning', 'MISSING_ENCODING', path, `${at} has no encoding-type attribute (written by anndata 0.7 or older?)`))
  } else if (!(encoding in ELEMENT_ENCODINGS)) {
    issues.push(issue('warning', 'UNKNOWN_ENCODING', path, `${at} has an encoding-type this checker does not know: ${encoding}`))
  }
  if (attributes['encoding-version'] === undefined && encoding !== undefined) {
    issues.push(issue('warning', 'MISSING_ENCODING', path, `${at} has no encoding-version attribute`))
  }
  if (path === '' && encoding !== undefined && encoding !== 'anndata') {
    issues.push(issue('error', 'WRONG_ENCODING', '', `the root's encoding-type is ${encoding}, expected anndata`))
  }
  // The parts of a sparse matrix carry no encoding of their own.
  const sparse = encoding === 'csr_matrix' || encoding === 'csc_matrix'
  if (!sparse && 'keys' in entity && typeof entity.keys === 'function') {
    for (const key of quietly(() => entity.keys())) walkEncodings(file, path ? `${path}/${key}` : key, issues, depth + 1)
  }
}
