import type { MatrixScans, SchemaIssue, StructureGroup } from '@assets/core'
import type { OrganismInfo } from '../core-specs.js'
import { type CellxgeneContext, childAt } from './cellxgene-context.js'
import { checkEmbeddingsAndUns } from './cellxgene-embeddings.js'
import { checkFeatureFilter } from './cellxgene-feature-filter.js'
import { checkObsRules } from './cellxgene-obs-rules.js'
import { checkRawMatrix } from './cellxgene-raw-matrix.js'

/**
 * Tells the shared scans what CELLxGENE's value rules will ask of each matrix, so that the
 * first check to read X (the schema walk) gathers rows and columns too and X is read once.
 */
export async function planCellxgeneScans(root: StructureGroup, scans: MatrixScans): Promise<void> {
  const rawX = await childAt(root, 'raw/X')
  const hasRaw = rawX?.kind === 'array'
  scans.plan(hasRaw ? 'raw/X' : 'X', { rows: true, columns: hasRaw })
  if (hasRaw) scans.plan('X', { columns: true })
}

/**
 * CELLxGENE 7.0 rules that span elements or read values: the raw matrix (raw.X, else X),
 * feature_is_filtered, the obs rules between columns, obsm and uns references, raw.var against
 * var, and the organism in uns against the declared one.
 */
export async function checkCellxgeneRules(
  root: StructureGroup,
  options: { values?: boolean; organism?: OrganismInfo; signal?: AbortSignal; scans: MatrixScans },
): Promise<SchemaIssue[]> {
  const issues: SchemaIssue[] = []
  const ctx: CellxgeneContext = {
    root,
    values: options.values === true,
    scans: options.scans,
    organism: options.organism,
    signal: options.signal,
    report: (severity, code, path, message) => issues.push({ severity, code, path, message, validator: 'cellxgene-7.0' }),
  }
  const uns = await root.child('uns')
  if (options.organism && uns?.kind === 'group') {
    const term = await uns.child('organism_ontology_term_id')
    const value = term?.kind === 'scalar' ? await term.value() : undefined
    if (typeof value === 'string' && value !== options.organism.taxon) {
      ctx.report('error', 'ORGANISM_MISMATCH', 'uns/organism_ontology_term_id', `is ${value}, but the dataset was declared ${options.organism.name} (${options.organism.taxon})`)
    }
  }
  const raw = await root.child('raw')
  if (raw?.kind === 'group') {
    const [vars, rawVars] = [await root.child('var'), await raw.child('var')]
    if (vars?.kind === 'dataframe' && rawVars?.kind === 'dataframe') {
      const [a, b] = [await (await vars.index())?.values(), await (await rawVars.index())?.values()]
      if (a && b && (a.length !== b.length || Array.from(a).some((v, i) => v !== b[i]))) ctx.report('error', 'INDEX_MISMATCH', 'raw/var', 'raw.var index differs from var index')
    }
  }
  await checkRawMatrix(ctx)
  await checkFeatureFilter(ctx)
  await checkObsRules(ctx)
  await checkEmbeddingsAndUns(ctx)
  return issues
}

