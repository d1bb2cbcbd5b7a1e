import { type AccessControl, type AssetKind, type AssetRecord, metadataSignature, type Relationship, versionColumns } from '@assets/core'
import { deriveMetadataColumns } from './derived-metadata.js'
import type { SqlValue } from './sql-session.js'

/**
 * Every value a dialect may store for a version, by column name. A dialect stores the columns
 * its queries use (its `versionInsert`); JSON values are JSON text.
 */
export interface VersionValues {
  key: string
  version: string
  kind: string
  type: string
  digest: string
  size: number
  file_count: number
  location: string
  file_name: string | null
  description: string | null
  /** The metadata as written. */
  metadata: string
  /** core's metadataSignature: one bit per scalar value, for an index-only prefilter. */
  metadata_sig: number
  metadata_dates: string
  metadata_json_texts: string
  /** Key and description folded by JavaScript, so that `text` matches the same rows everywhere. */
  key_folded: string
  description_folded: string
  provenance: string | null
  specs: string | null
  declarative_schema: string | null
  relationships: string
  acl: string
  created_by: string
  created_at: string
  expires_at: string | null
  v_major: number
  v_minor: number
  v_patch: number
  v_prerelease: string | null
}

export function versionValues(record: AssetRecord): VersionValues {
  const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v))
  const derived = deriveMetadataColumns(record.metadata)
  return {
    key: record.key,
    version: record.version,
    kind: record.kind,
    type: record.type,
    digest: record.digest,
    size: record.size,
    file_count: record.fileCount,
    location: record.location,
    file_name: record.fileName ?? null,
    description: record.description ?? null,
    metadata: JSON.stringify(record.metadata),
    metadata_sig: metadataSignature(record.metadata),
    metadata_dates: JSON.stringify(derived.dates),
    metadata_json_texts: JSON.stringify(derived.jsonTexts),
    key_folded: record.key.toLowerCase(),
    description_folded: (record.description ?? '').toLowerCase(),
    provenance: json(record.provenance),
    specs: json(record.specs),
    declarative_schema: json(record.declarativeSchema),
    relationships: JSON.stringify(record.relationships),
    acl: JSON.stringify(record.accessControl),
    created_by: record.createdBy,
    created_at: record.createdAt,
    expires_at: record.expiresAt ?? null,
    ...versionColumns(record.version),
  } satisfies Record<string, SqlValue>
}

/**
 * A version as every dialect's `recordColumns` returns it. JSON comes back as the text that was
 * written, so that a stored JSON `null` (a `specs: null`) stays distinct from an absent field
 * and object keys keep their order; a driver may hand sizes back as strings (bigint).
 */
export interface VersionRow {
  key: string
  version: string
  kind: string
  type: string
  digest: string
  size: number | string
  file_count: number | string
  location: string
  file_name: string | null
  description: string | null
  metadata: string
  provenance: string | null
  specs: string | null
  declarative_schema: string | null
  relationships: string
  acl: string
  created_by: string
  created_at: string
  deleted_at: string | null
  deleted_by: string | null
  expires_at: string | null
}

export function rowToRecord(row: VersionRow): AssetRecord {
  const acl = JSON.parse(row.acl) as AccessControl
  const record: AssetRecord = {
    key: row.key,
    version: row.version,
    kind: row.kind as AssetKind,
    type: row.type as AssetRecord['type'],
    digest: row.digest as AssetRecord['digest'],
    size: Number(row.size),
    fileCount: Number(row.file_count),
    location: row.location,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    relationships: JSON.parse(row.relationships) as Relationship[],
    // A JSON column may keep object keys in its own order; the record reads best in the contract's.
    accessControl: { owner: acl.owner, read: acl.read, write: acl.write, admin: acl.admin },
    createdBy: row.created_by,
    createdAt: row.created_at,
  }
  // Absent optional fields stay absent rather than becoming null.
  if (row.file_name !== null) record.fileName = row.file_name
  if (row.description !== null) record.description = row.description
  if (row.provenance !== null) record.provenance = JSON.parse(row.provenance) as AssetRecord['provenance']
  if (row.specs !== null) record.specs = JSON.parse(row.specs) as unknown
  if (row.declarative_schema !== null) record.declarativeSchema = JSON.parse(row.declarative_schema) as unknown
  if (row.deleted_at !== null) record.deletedAt = row.deleted_at
  if (row.deleted_by !== null) record.deletedBy = row.deleted_by
  if (row.expires_at !== null) record.expiresAt = row.expires_at
  return record
}
