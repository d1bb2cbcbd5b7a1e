import type { SchemaIssue } from '@assets/core'
import type { DatasetSummary, StructureRun } from '../validate-dataset.js'
import { recordAnnData } from '../anndata/anndata-summary.js'
import { h5Element, h5Node } from './h5-structure.js'
import { type H5File, openH5File, quietly } from './h5wasm-loader.js'
import { checkSuperblock } from './hdf5-superblock.js'

/** Checks an h5ad file: its HDF5 envelope, the AnnData layout, then what `run` adds. */
export async function inspectH5ad(path: string, issues: SchemaIssue[], summary: DatasetSummary, run: StructureRun): Promise<void> {
  const envelope = await checkSuperblock(path)
  if (envelope.length > 0) return void issues.push(...envelope)
  let file: H5File
  try {
    file = await openH5File(path)
  } catch (error) {
    return void issues.push({ severity: 'error', code: 'UNREADABLE_FILE', path: '', message: (error as Error).message })
  }
  try {
    const root = h5Node(file, '')
    const elements = h5Element(file, '')
    if (root?.kind !== 'group' || !elements) return void issues.push({ severity: 'error', code: 'WRONG_TYPE', path: '', message: 'the root of an h5ad file must be a group' })
    const dims = await recordAnnData(root, elements, issues, summary)
    await run(root, ['AnnData'], dims)
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error
    issues.push({ severity: 'error', code: 'UNREADABLE_FILE', path: '', message: `HDF5 could not read part of the file: ${(error as Error).message}` })
  } finally {
    quietly(() => file.close())
  }
}
