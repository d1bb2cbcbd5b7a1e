import type {
  AssetKind,
  AssetRecord,
  Relationship,
} from '@assets/core'
import type { SqlValue } from './sql-fragment.js'
import { metadataSignature, versionColumns } from '@assets/core'

/** A row of `versions` as better-sqlite3 returns it. */
export interface VersionRow {
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

/** Named parameters for the INSERT of a normalised record. */
export function recordToRow(record: AssetRecord): Record<string, SqlValue> {
  const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v))
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
    provenance: json(record.provenance),
    specs: json(record.specs),
    declarative_schema: json(record.declarativeSchema),
    relationships: JSON.stringify(record.relationships),
    acl: JSON.stringify(record.accessControl),
    created_by: record.createdBy,
    created_at: record.createdAt,
    expires_at: record.expiresAt ?? null,
    ...versionColumns(record.version),
  }
}

export function rowToRecord(row: VersionRow): AssetRecord {
  const record: AssetRecord = {
    key: row.key,
    version: row.version,
    kind: row.kind as AssetKind,
    type: row.type as AssetRecord['type'],
    digest: row.digest as AssetRecord['digest'],
    size: row.size,
    fileCount: row.file_count,
    location: row.location,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    relationships: JSON.parse(row.relationships) as Relationship[],
    accessControl: JSON.parse(row.acl) as AssetRecord['accessControl'],
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
