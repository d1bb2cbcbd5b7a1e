import { type CellxgeneContext, childAt, columnValues, indexValues, Tally } from './cellxgene-context.js'

/**
 * var.feature_is_filtered (schema 7.0, "var and raw.var"): without a raw matrix every value
 * MUST be False; with one, a filtered feature's X column MUST be all zeros, and a feature all
 * zeros in X but not in raw.X MUST be flagged.
 */
export async function checkFeatureFilter(ctx: CellxgeneContext): Promise<void> {
  const flags = await columnValues(ctx.root, 'var', 'feature_is_filtered')
  if (!flags) return
  const names = await indexValues(ctx.root, 'var')
  const gene = (j: number) => String(names?.[j] ?? j)
  const tally = new Tally()
  const path = 'var/feature_is_filtered'
  const rawX = await childAt(ctx.root, 'raw/X')
  if (rawX?.kind !== 'array') {
    for (let j = 0; j < flags.length; j++) {
      if (flags[j] === true) tally.add('error', 'FEATURE_FILTERED_WITHOUT_RAW', path, 'features are True without a raw matrix: every value MUST be False', gene(j))
    }
    return void (await tally.flush(ctx))
  }
  const x = await ctx.root.child('X')
  if (!ctx.values || x?.kind !== 'array') return
  const [inX, inRaw] = [await ctx.scans.scan(x, ctx.signal, { columns: true }), await ctx.scans.scan(rawX, ctx.signal, { rows: true, columns: true })]
  if (!inX?.nonzeroColumns || !inRaw?.nonzeroColumns) {
    // A sparse matrix with a part missing or not 1-d, or an indptr that cannot be walked, cannot
    // be read by column (the structure checks report why).
    if (inX && inRaw) ctx.report('warning', 'FEATURE_FILTER_NOT_CHECKED', path, 'the X and raw.X columns could not be read: feature_is_filtered not checked against them')
    return
  }
  for (let j = 0; j < flags.length; j++) {
    const filtered = flags[j] === true
    if (filtered && inX.nonzeroColumns[j]) {
      tally.add('error', 'FILTERED_FEATURE_NOT_ZERO', path, 'features are True but hold non-zero values in X: a filtered feature MUST be all zeros in X', gene(j))
    }
    if (!filtered && !inX.nonzeroColumns[j] && inRaw.nonzeroColumns[j]) {
      tally.add('error', 'ZERO_FEATURE_NOT_FILTERED', path, 'features are all zeros in X but not in raw.X and are not flagged True', gene(j))
    }
  }
  await tally.flush(ctx)
}
