/** The registry's tables as SQL text, qualified with a schema where the dialect has one. */
export interface Tables {
  versions: string
  tags: string
  relationships: string
  annotations: string
  audit: string
  /** A put's holds on stored locations, and gc's claims (see content-leases.ts). */
  contentHolds: string
  contentClaims: string
  schemaVersion: string
  apiTokens: string
}

/**
 * Table names under a quoted qualifier (`"catalogue".versions`), or bare. The qualifier is the
 * only identifier that comes into SQL text from outside, so only a plain identifier is allowed.
 */
export function tablesIn(schema?: string): Tables {
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`)
  const q = (name: string): string => (schema === undefined ? name : `"${schema}".${name}`)
  return {
    versions: q('versions'),
    tags: q('tags'),
    relationships: q('relationships'),
    annotations: q('annotations'),
    audit: q('audit'),
    contentHolds: q('content_holds'),
    contentClaims: q('content_claims'),
    schemaVersion: q('schema_version'),
    apiTokens: q('api_tokens'),
  }
}
