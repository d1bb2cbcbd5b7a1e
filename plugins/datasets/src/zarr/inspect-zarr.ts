import type { SchemaIssue, StructureGroup, StructureNode } from '@assets/core'
import { recordAnnData } from '../anndata/anndata-summary.js'
import type { DatasetSummary, StructureRun } from '../validate-dataset.js'
import { FileSystemStore } from './fs-store.js'
import { zarrElement, zarrNode } from './zarr-structure.js'

/**
 * Checks a zarr store (v2 or v3). A store in AnnData layout gets the same AnnData checks and
 * summary as an h5ad file; every store gets its arrays listed in the summary.
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
  const elements = root.kind === 'group' && (await isAnnData(root)) ? await zarrElement(store, '') : undefined
  if (root.kind === 'group' && elements) {
    const dims = await recordAnnData(root, elements, issues, summary)
    await run(root, ['AnnData', 'Zarr'], dims)
  } else {
    await run(root, ['Zarr'], {})
  }
}

/**
 * A store written by anndata says so (root encoding-type `anndata`); one that says something
 * else but holds obs and var is AnnData too, checked as such (its wrong encoding reported).
 */
async function isAnnData(root: StructureGroup): Promise<boolean> {
  if (root.attributes['encoding-type'] === 'anndata') return true
  const keys = await root.keys()
  return keys.includes('obs') && keys.includes('var')
}

async function listArrays(node: StructureNode, out: NonNullable<DatasetSummary['arrays']>, depth: number): Promise<void> {
  if (node.kind === 'array') out[node.path] = { dtype: node.dtype, shape: node.shape, chunks: node.chunks }
  if (node.kind !== 'group' || depth > 8 || Object.keys(out).length > 200) return
  for (const key of await node.keys()) {
    const child = await node.child(key)
    if (child) await listArrays(child, out, depth + 1)
  }
}
