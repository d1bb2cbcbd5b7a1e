import { type CellxgeneContext, childAt, smallArrayValues } from './cellxgene-context.js'
import { PORTAL_OBS_COLUMNS } from './cellxgene-reserved.js'

/** "{suffix} MUST be at least one character … ^[a-zA-Z][a-zA-Z0-9_.-]*$ … MUST NOT be spatial". */
const SUFFIX = /^[a-zA-Z][a-zA-Z0-9_.-]*$/

/**
 * obsm keys and values, the emptiness rules of obsp/varm/varp/uns, and the uns keys that name
 * other elements (default_embedding, batch_condition, {column}_colors).
 */
export async function checkEmbeddingsAndUns(ctx: CellxgeneContext): Promise<void> {
  const obsm = await ctx.root.child('obsm')
  const obsmKeys = obsm?.kind === 'group' ? await obsm.keys() : []
  const spatial = await childAt(ctx.root, 'uns/spatial')
  for (const key of obsmKeys) {
    const path = `obsm/${key}`
    if (key.startsWith('X_') && (!SUFFIX.test(key.slice(2)) || key === 'X_spatial')) {
      ctx.report('error', 'OBSM_KEY_INVALID', path, `the suffix after X_ MUST match ^[a-zA-Z][a-zA-Z0-9_.-]*$ and not be "spatial"`)
    }
    if (key === 'spatial' && !spatial) ctx.report('error', 'SPATIAL_ONLY', path, 'obsm.spatial MUST NOT be present without uns.spatial (Visium, Slide-seqV2)')
    const node = obsm?.kind === 'group' ? await obsm.child(key) : undefined
    if (!ctx.values || node?.kind !== 'array' || !(key.startsWith('X_') || key === 'spatial')) continue
    const scan = await ctx.scans.scan(node, ctx.signal)
    if (!scan) continue
    const infinite = scan.notFinite - scan.nan
    if (infinite > 0) ctx.report('error', 'OBSM_INFINITE', path, `${infinite} of ${scan.visited} values are +inf or -inf`)
    if (key === 'spatial' && scan.nan > 0) ctx.report('error', 'OBSM_NAN', path, `${scan.nan} of ${scan.visited} values are NaN`)
    if (key !== 'spatial' && scan.visited > 0 && scan.nan === scan.visited) ctx.report('error', 'OBSM_ALL_NAN', path, 'every value is NaN')
  }
  for (const group of ['obsp', 'varm', 'varp', 'uns']) {
    const node = await ctx.root.child(group)
    if (node?.kind !== 'group') continue
    for (const key of await node.keys()) {
      const child = await node.child(key)
      if (child?.kind === 'array' && child.shape.reduce((a, b) => a * b, 1) === 0) {
        ctx.report('error', 'EMPTY_ELEMENT', `${group}/${key}`, `the array stored for a key in ${group} MUST NOT have size zero (shape ${child.shape.join(' × ')})`)
      }
    }
  }
  await checkUnsReferences(ctx, obsmKeys)
}

async function checkUnsReferences(ctx: CellxgeneContext, obsmKeys: string[]): Promise<void> {
  const uns = await ctx.root.child('uns')
  const obs = await ctx.root.child('obs')
  if (uns?.kind !== 'group' || obs?.kind !== 'dataframe') return
  const keys = await uns.keys()
  const embedding = keys.includes('default_embedding') ? await uns.child('default_embedding') : undefined
  if (embedding?.kind === 'scalar') {
    const value = await embedding.value()
    if (!obsmKeys.includes(String(value))) ctx.report('error', 'DEFAULT_EMBEDDING_UNKNOWN', 'uns/default_embedding', `${JSON.stringify(value)} is not a key of obsm (${obsmKeys.join(', ')})`)
  }
  const batch = keys.includes('batch_condition') ? await uns.child('batch_condition') : undefined
  const batchValues = batch?.kind === 'array' ? await smallArrayValues(batch, ctx.signal) : batch?.kind === 'scalar' ? [await batch.value()] : []
  const unknown = batchValues.filter((v) => !obs.columnNames.includes(String(v)))
  if (unknown.length > 0) ctx.report('error', 'BATCH_CONDITION_UNKNOWN', 'uns/batch_condition', `names no obs column: ${unknown.map((v) => JSON.stringify(v)).join(', ')}`)
  for (const key of keys.filter((k) => k.endsWith('_colors'))) {
    const path = `uns/${key}`
    const column = key.slice(0, -'_colors'.length)
    const node = await uns.child(key)
    if (PORTAL_OBS_COLUMNS.includes(column)) {
      ctx.report('error', 'COLORS_INVALID', path, `${column} is annotated by CELLxGENE Discover: use ${column}_ontology_term_id_colors`)
      continue
    }
    const obsColumn = obs.columnNames.includes(column) ? await obs.column(column) : undefined
    if (!obsColumn?.categorical || !obsColumn.categories) {
      ctx.report('error', 'COLORS_INVALID', path, `${column} is not a categorical obs column`)
      continue
    }
    if (node?.kind !== 'array' || node.shape.length !== 1) {
      ctx.report('error', 'COLORS_INVALID', path, 'MUST be a 1-d array of colors')
      continue
    }
    const categories = (await obsColumn.categories()).length
    const colors = (await smallArrayValues(node, ctx.signal)).map(String)
    if (colors.length < categories) ctx.report('error', 'COLORS_INVALID', path, `holds ${colors.length} colors for ${categories} categories of obs/${column}`)
    const hex = colors.filter((c) => /^#[0-9a-fA-F]{6}$/.test(c)).length
    const namedColors = colors.filter((c) => /^[a-zA-Z]+$/.test(c)).length
    if (hex !== colors.length && namedColors !== colors.length) {
      ctx.report('error', 'COLORS_INVALID', path, 'every color MUST use one model: all "#rrggbb" hex triplets or all CSS4 color names')
    }
  }
}
