import type { SchemaIssue, StructureElement, StructureGroup } from '@assets/core'
import type { DatasetSummary } from '../validate-dataset.js'
import { checkAnnData } from './anndata-checks.js'

/**
 * Runs the AnnData checks on an h5ad file or an AnnData zarr store and records the same
 * summary fields for both; returns the dimensions the schema checks resolve names against.
 */
export async function recordAnnData(root: StructureGroup, elements: StructureElement, issues: SchemaIssue[], summary: DatasetSummary): Promise<Record<string, number>> {
  const anndata = await checkAnnData(root, elements)
  issues.push(...anndata.issues)
  const { n_obs, n_vars, x_encoding, x_dtype, layers, obsm } = anndata.summary
  Object.assign(summary, { n_obs, n_vars, x_encoding, x_dtype, layers, obsm })
  return anndata.dims
}
