import type { SchemaIssue, StructureElement } from '@assets/core'

/** The element encodings of the AnnData on-disk format this checker knows, with their versions. */
const ELEMENT_ENCODINGS: Record<string, string> = {
  anndata: '0.1.0', array: '0.2.0', csr_matrix: '0.1.0', csc_matrix: '0.1.0', dataframe: '0.2.0', dict: '0.1.0', raw: '0.1.0',
  categorical: '0.2.0', 'string-array': '0.2.0', 'numeric-scalar': '0.2.0', string: '0.2.0',
  'nullable-integer': '0.1.0', 'nullable-boolean': '0.1.0', 'nullable-string-array': '0.1.0',
}

// Deeper than any AnnData layout nests; a bound, so that a hostile file cannot make the walk endless.
const MAX_DEPTH = 16

const warning = (code: string, path: string, message: string): SchemaIssue => ({ severity: 'warning', code, path, message })

/** Every element's encoding attributes; missing ones (files from anndata ≤ 0.7) are warnings. */
export async function walkEncodings(element: StructureElement, issues: SchemaIssue[], depth = 0): Promise<void> {
  if (depth > MAX_DEPTH) return
  const { path, attributes } = element
  const e = attributes['encoding-type']
  const encoding = typeof e === 'string' ? e : undefined
  const at = path || '(root)'
  if (encoding === undefined) {
    issues.push(warning('MISSING_ENCODING', path, `${at} has no encoding-type attribute (written by anndata 0.7 or older?)`))
  } else if (!(encoding in ELEMENT_ENCODINGS)) {
    issues.push(warning('UNKNOWN_ENCODING', path, `${at} has an encoding-type this checker does not know: ${encoding}`))
  }
  if (attributes['encoding-version'] === undefined && encoding !== undefined) {
    issues.push(warning('MISSING_ENCODING', path, `${at} has no encoding-version attribute`))
  }
  if (path === '' && encoding !== undefined && encoding !== 'anndata') {
    issues.push({ severity: 'error', code: 'WRONG_ENCODING', path: '', message: `the root's encoding-type is ${encoding}, expected anndata` })
  }
  // The parts of a sparse matrix carry no encoding of their own.
  if (encoding === 'csr_matrix' || encoding === 'csc_matrix') return
  for (const key of await element.keys()) {
    const child = await element.child(key)
    if (child) await walkEncodings(child, issues, depth + 1)
  }
}
