import { type SchemaIssue, type StructureGroup, scanMatrix } from '@assets/core'
import type { OrganismInfo } from '../core-specs.js'

/**
 * CELLxGENE 7.0 rules that span elements: raw counts (raw.X, else X) are whole numbers (a value
 * check), raw.var lists the same genes as var, and the organism in uns is the declared one.
 */
export async function checkCellxgeneRules(
  root: StructureGroup,
  options: { values?: boolean; organism?: OrganismInfo; signal?: AbortSignal },
): Promise<SchemaIssue[]> {
  const issues: SchemaIssue[] = []
  const report = (code: string, path: string, message: string) => issues.push({ severity: 'error', code, path, message, validator: 'cellxgene-7.0' })
  const uns = await root.child('uns')
  if (options.organism && uns?.kind === 'group') {
    const term = await uns.child('organism_ontology_term_id')
    const value = term?.kind === 'scalar' ? await term.value() : undefined
    if (typeof value === 'string' && value !== options.organism.taxon) {
      report('ORGANISM_MISMATCH', 'uns/organism_ontology_term_id', `is ${value}, but the dataset was declared ${options.organism.name} (${options.organism.taxon})`)
    }
  }
  const raw = await root.child('raw')
  if (raw?.kind === 'group') {
    const [vars, rawVars] = [await root.child('var'), await raw.child('var')]
    if (vars?.kind === 'dataframe' && rawVars?.kind === 'dataframe') {
      const [a, b] = [await (await vars.index())?.values(), await (await rawVars.index())?.values()]
      if (a && b && (a.length !== b.length || Array.from(a).some((v, i) => v !== b[i]))) report('INDEX_MISMATCH', 'raw/var', 'raw.var index differs from var index')
    }
  }
  if (options.values) {
    const counts = raw?.kind === 'group' ? await raw.child('X') : await root.child('X')
    if (counts?.kind === 'array') {
      const scan = await scanMatrix(counts, { type: 'ndarray', values: { integer: true } }, options.signal)
      if (scan && scan.notInteger + scan.notFinite > 0) {
        report('NOT_INTEGER', counts.path, `raw counts must be whole numbers: ${scan.notInteger + scan.notFinite} of ${scan.visited} stored values are not`)
      }
    }
  }
  return issues
}
