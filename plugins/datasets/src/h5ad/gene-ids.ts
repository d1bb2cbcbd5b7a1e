import type { SchemaIssue, StructureDataFrame } from '@assets/core'

export interface GeneIdCheck {
  organism: string
  prefix: string
}

/**
 * Every gene id starts with the organism's prefix (ENSG for human), as cz-benchmarks checks:
 * the var index first, else the `ensembl_id` column when the index holds symbols.
 */
export async function checkGeneIds(vars: StructureDataFrame, check: GeneIdCheck): Promise<SchemaIssue[]> {
  const index = await vars.index()
  const candidates = [index, vars.columnNames.includes('ensembl_id') ? await vars.column('ensembl_id') : undefined]
  let firstFailure: { path: string; bad: number; total: number; examples: string[] } | undefined
  for (const column of candidates) {
    if (!column) continue
    const values = await column.values()
    const examples: string[] = []
    let bad = 0
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      if (typeof v === 'string' && v.startsWith(check.prefix)) continue
      bad++
      if (examples.length < 3) examples.push(JSON.stringify(v))
    }
    if (bad === 0) return []
    firstFailure ??= { path: column.path, bad, total: values.length, examples }
  }
  if (!firstFailure) return [{ severity: 'error', code: 'MISSING_COLUMN', path: `${vars.path}/index`, message: 'var has no index of gene ids' }]
  const { path, bad, total, examples } = firstFailure
  return [
    {
      severity: 'error',
      code: 'WRONG_GENE_PREFIX',
      path,
      message: `${bad} of ${total} gene ids do not start with ${check.prefix} (expected for ${check.organism}; e.g. ${examples.join(', ')})${vars.columnNames.includes('ensembl_id') ? '' : '; no var ensembl_id column to fall back on'}`,
    },
  ]
}
