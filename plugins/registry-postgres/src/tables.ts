/** The plugin's tables, qualified with their schema, as SQL text. */
export interface Tables {
  /** The schema's name as given, for comparisons with catalogue views. */
  schemaName: string
  /** The schema quoted as an identifier. */
  schema: string
  versions: string
  tags: string
  relationships: string
  annotations: string
  audit: string
  contentLeases: string
  schemaVersion: string
}

/**
 * The schema name is the only identifier that comes from outside into SQL text: the options
 * schema allows nothing but `[A-Za-z_][A-Za-z0-9_]*`, and it is double-quoted here so that its
 * case is kept.
 */
export function tablesIn(schema: string): Tables {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`)
  const q = `"${schema}"`
  return {
    schemaName: schema,
    schema: q,
    versions: `${q}.versions`,
    tags: `${q}.tags`,
    relationships: `${q}.relationships`,
    annotations: `${q}.annotations`,
    audit: `${q}.audit`,
    contentLeases: `${q}.content_leases`,
    schemaVersion: `${q}.schema_version`,
  }
}
