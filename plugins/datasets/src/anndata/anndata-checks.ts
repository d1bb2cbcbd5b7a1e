import type { SchemaIssue, StructureArray, StructureDataFrame, StructureElement, StructureGroup, StructureNode } from '@assets/core'
import { walkEncodings } from './encoding-walk.js'

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

const issue = (severity: SchemaIssue['severity'], code: string, path: string, message: string): SchemaIssue => ({ severity, code, path, message })

/**
 * The AnnData on-disk rules every h5ad file and AnnData zarr store must keep, whatever schema
 * it is checked against: obs and var dataframes, matrix shapes agreeing with them,
 * well-formed sparse and categorical elements. One checker for both formats: it reads the
 * typed view (`root`) and the stored elements (`elements`) of the structure interface, never
 * a format's own API. Reads attributes, shapes and indptr only, never a matrix.
 */
export async function checkAnnData(root: StructureGroup, elements: StructureElement): Promise<{ issues: SchemaIssue[]; summary: AnnDataSummary; dims: Record<string, number> }> {
  const issues: SchemaIssue[] = []
  await walkEncodings(elements, issues)
  const obs = await frame(root, 'obs', issues)
  const vars = await frame(root, 'var', issues)
  const n_obs = obs?.length ?? 0
  const n_vars = vars?.length ?? 0
  const summary: AnnDataSummary = {
    n_obs, n_vars, layers: [], obsm: [], obs_columns: obs?.columnNames ?? [], var_columns: vars?.columnNames ?? [], has_raw: false,
  }
  const matrices = new MatrixChecks(elements, issues)
  const x = await root.child('X')
  if (x) {
    if (x.kind !== 'array') issues.push(issue('error', 'WRONG_TYPE', 'X', `X must be a dense or sparse matrix, found a ${x.kind}`))
    else {
      summary.x_encoding = x.encoding
      summary.x_dtype = x.dtype
      await matrices.matrix(x, [n_obs, n_vars])
    }
  }
  summary.layers = await eachChild(root, 'layers', async (node) => {
    if (node.kind === 'array') await matrices.matrix(node, [n_obs, n_vars])
    else issues.push(issue('error', 'WRONG_TYPE', node.path, 'a layer must be a matrix'))
  })
  for (const [name, n] of [['obsm', n_obs], ['varm', n_vars]] as const) {
    const keys = await eachChild(root, name, async (node) => {
      if (node.kind === 'array') await matrices.firstDims(node, [n])
      else if (node.kind === 'dataframe' && node.length !== n) issues.push(issue('error', 'WRONG_SHAPE', node.path, `has ${node.length} rows, expected ${n}`))
    })
    if (name === 'obsm') summary.obsm = keys
  }
  for (const [name, n] of [['obsp', n_obs], ['varp', n_vars]] as const) {
    await eachChild(root, name, async (node) => {
      if (node.kind === 'array') await matrices.firstDims(node, [n, n])
    })
  }
  const raw = await root.child('raw')
  if (raw?.kind === 'group') {
    summary.has_raw = true
    const rawX = await raw.child('X')
    const rawVar = await frame(raw, 'var', issues)
    if (rawX?.kind === 'array') await matrices.matrix(rawX, [n_obs, rawVar?.length ?? rawX.shape[1] ?? 0])
  }
  return { issues, summary, dims: { n_obs, n_vars } }
}

async function frame(group: StructureGroup, name: string, issues: SchemaIssue[]): Promise<StructureDataFrame | undefined> {
  const path = group.path ? `${group.path}/${name}` : name
  const node = await group.child(name)
  if (!node) {
    issues.push(issue('error', 'MISSING_KEY', path, `${path} is required in AnnData`))
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

/** Shape checks of matrices, and of a sparse one's stored parts (found through the element view). */
class MatrixChecks {
  constructor(
    private readonly root: StructureElement,
    private readonly issues: SchemaIssue[],
  ) {}

  async firstDims(node: StructureArray, expected: number[]): Promise<void> {
    expected.forEach((n, i) => {
      if (node.shape[i] !== n) this.issues.push(issue('error', 'WRONG_SHAPE', node.path, `dimension ${i} is ${node.shape[i] ?? 'absent'}, expected ${n}`))
    })
    if (node.encoding !== 'dense') await this.sparseParts(node)
  }

  async matrix(node: StructureArray, expected: [number, number]): Promise<void> {
    if (node.shape.length !== 2) {
      this.issues.push(issue('error', 'WRONG_NDIM', node.path, `has ${node.shape.length} dimension(s), expected 2`))
      return
    }
    if (node.shape[0] !== expected[0] || node.shape[1] !== expected[1]) {
      this.issues.push(issue('error', 'WRONG_SHAPE', node.path, `shape is (${node.shape.join(', ')}), expected (${expected.join(', ')}) from obs and var`))
    }
    if (node.encoding !== 'dense') await this.sparseParts(node)
  }

  /** data, indices and indptr agree with each other and with the shape. */
  private async sparseParts(node: StructureArray): Promise<void> {
    const group = await elementAt(this.root, node.path)
    const part = async (name: string) => {
      const e = await group?.child(name)
      return e?.shape === undefined ? undefined : e
    }
    const [data, indices, indptr] = [await part('data'), await part('indices'), await part('indptr')]
    for (const [name, e] of [['data', data], ['indices', indices], ['indptr', indptr]] as const) {
      if (!e) this.issues.push(issue('error', 'MISSING_KEY', `${node.path}/${name}`, `a ${node.encoding} matrix needs ${name}`))
    }
    const stored = data?.shape?.[0]
    const indexed = indices?.shape?.[0]
    if (stored !== undefined && indexed !== undefined && stored !== indexed) {
      this.issues.push(issue('error', 'WRONG_SHAPE', `${node.path}/indices`, `has ${indexed} entries, data has ${stored}`))
    }
    const major = node.shape[node.encoding === 'csr' ? 0 : 1]
    const pointers = indptr?.shape?.[0]
    if (pointers !== undefined && major !== undefined && pointers !== major + 1) {
      this.issues.push(issue('error', 'WRONG_SHAPE', `${node.path}/indptr`, `has ${pointers} entries, expected ${major + 1} for a ${node.encoding} matrix of shape (${node.shape.join(', ')})`))
    }
    if (indptr && stored !== undefined) await this.indptr(indptr, `${node.path}/indptr`, stored)
  }

  /**
   * indptr starts at 0, never decreases and ends at the number of stored values: otherwise rows
   * (or columns) point outside data. It is one entry per row, read in slices, never the matrix.
   */
  private async indptr(element: StructureElement, path: string, stored: number): Promise<void> {
    if (!element.scan) return
    let previous: number | undefined
    let first: number | undefined
    let decreasing = false
    await element.scan((values) => {
      for (let i = 0; i < values.length; i++) {
        const v = Number(values[i])
        if (first === undefined) first = v
        if (previous !== undefined && v < previous) decreasing = true
        previous = v
      }
    })
    if (first !== undefined && first !== 0) this.issues.push(issue('error', 'INVALID_SPARSE', path, `starts at ${first}, expected 0`))
    if (decreasing) this.issues.push(issue('error', 'INVALID_SPARSE', path, 'decreases somewhere: every entry must be at least the one before'))
    if (previous !== undefined && previous !== stored) this.issues.push(issue('error', 'INVALID_SPARSE', path, `ends at ${previous}, but data holds ${stored} values`))
  }
}

async function elementAt(root: StructureElement, path: string): Promise<StructureElement | undefined> {
  let element: StructureElement | undefined = root
  for (const name of path.split('/').filter(Boolean)) element = await element?.child(name)
  return element
}
