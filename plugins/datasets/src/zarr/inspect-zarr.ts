import type { SchemaIssue, StructureNode } from '@assets/core'
import type { DatasetSummary, StructureRun } from '../validate-dataset.js'
import { FileSystemStore } from './fs-store.js'
import { zarrNode } from './zarr-structure.js'

/**
 * Checks a zarr store (v2 or v3). A store written by anndata (root encoding-type `anndata`) is
 * also checked as AnnData; every store gets its arrays listed in the summary.
 */
export async function inspectZarr(path: string, issues: SchemaIssue[], summary: DatasetSummary, run: StructureRun): Promise<void> {
  const store = new FileSystemStore(path)
  const root = await zarrNode(store, '').catch((error: unknown) => {
    issues.push({ severity: 'error', code: 'UNREADABLE_FILE', path: '', message: `cannot read the zarr metadata: ${(error as Error).message}` })
    return undefined
  })
  if (!root) {
    if (issues.length === 0) issues.push({ severity: 'error', code: 'UNREADABLE_FILE', path: '', message: 'the zarr root metadata is missing or damaged' })
    return
  }
  summary.arrays = {}
  await listArrays(root, summary.arrays, 0)
  const anndata = root.kind === 'group' && root.attributes['encoding-type'] === 'anndata'
  const dims: Record<string, number> = {}
  if (anndata && root.kind === 'group') {
    for (const [name, dim] of [['obs', 'n_obs'], ['var', 'n_vars']] as const) {
      const frame = await root.child(name)
      if (frame?.kind === 'dataframe') dims[dim] = frame.length
      else issues.push({ severity: 'error', code: 'MISSING_KEY', path: name, message: `${name} is required in an AnnData store` })
    }
    Object.assign(summary, dims)
    const x = await root.child('X')
    if (x?.kind === 'array') Object.assign(summary, { x_encoding: x.encoding, x_dtype: x.dtype })
  }
  await run(root, anndata ? ['AnnData', 'Zarr'] : ['Zarr'], dims)
}

async function listArrays(node: StructureNode, out: NonNullable<DatasetSummary['arrays']>, depth: number): Promise<void> {
  if (node.kind === 'array') out[node.path] = { dtype: node.dtype, shape: node.shape, chunks: node.chunks }
  if (node.kind !== 'group' || depth > 8 || Object.keys(out).length > 200) return
  for (const key of await node.keys()) {
    const child = await node.child(key)
    if (child) await listArrays(child, out, depth + 1)
  }
}
