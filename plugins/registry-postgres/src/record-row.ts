import type {
  AccessControl,
  AssetKind,
  AssetRecord,
  Relationship,
} from '@assets/core'
import { deriveMetadataColumns } from './derived-metadata.js'
import type { SqlValue } from './sql-params.js'
import { versionColumns } from '@assets/core'

/**
 * What every query selects from `versions AS v`: the record as written. JSON columns come back
 * as text and are parsed here, so that a stored JSON `null` (a `specs: null`) stays distinct
 * from an absent field and object keys keep the order they were written in.
 */
export const RECORD_COLUMNS = [
  'v.key',
  'v.version',
  'v.kind',
  'v.type',
  'v.digest',
  'v.size',
  'v.file_count',
  'v.location',
  'v.file_name',
  'v.description',
  'v.metadata_json::text AS metadata',
  'v.provenance::text AS provenance',
  'v.specs::text AS specs',
  'v.declarative_schema::text AS declarative_schema',
  'v.relationships::text AS relationships',
  'v.acl::text AS acl',
  'v.created_by',
  'v.created_at',
  'v.deleted_at',
  'v.deleted_by',
  'v.expires_at',
].join(', ')

/** A row of RECORD_COLUMNS as postgres.js returns it (bigint columns arrive as strings). */
export interface VersionRow {
  key: string
  version: string
  kind: string
  type: string
  digest: string
  size: string
  file_count: string
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

const INSERT_COLUMNS = [
  'key', 'version', 'kind', 'type', 'digest', 'size', 'file_count', 'location', 'description', 'metadata', 'metadata_json',
  'metadata_dates', 'metadata_json_texts', 'key_folded', 'description_folded', 'provenance', 'specs', 'declarative_schema',
  'relationships', 'acl', 'created_by', 'created_at', 'expires_at', 'v_major', 'v_minor', 'v_patch', 'v_prerelease', 'file_name',
]

// JSON arrives as text and is cast on the server: handing postgres.js a string for a json
// parameter would encode it a second time.
const INSERT_VALUES = [
  '$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', '$10::text::jsonb', '$10::text::json',
  '$11::text::jsonb', '$12::text::jsonb', '$13', '$14', '$15::text::json', '$16::text::json', '$17::text::json',
  '$18::text::json', '$19::text::jsonb', '$20', '$21', '$22', '$23', '$24', '$25', '$26', '$27',
]

/** INSERT of one version returning `returning` (over alias `v`); nothing happens when the version exists already. */
export function insertVersionSql(versions: string, returning: string): string {
  return `INSERT INTO ${versions} AS v (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_VALUES.join(', ')})
    ON CONFLICT (key, version) DO NOTHING RETURNING ${returning}`
}

/** The values of insertVersionSql for a normalised record. */
export function insertVersionParams(record: AssetRecord): SqlValue[] {
  const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v))
  const derived = deriveMetadataColumns(record.metadata)
  const order = versionColumns(record.version)
  return [
    record.key,
    record.version,
    record.kind,
    record.type,
    record.digest,
    record.size,
    record.fileCount,
    record.location,
    record.description ?? null,
    JSON.stringify(record.metadata),
    JSON.stringify(derived.dates),
    JSON.stringify(derived.jsonTexts),
    // The SQLite registry folds case with JavaScript's toLowerCase too; the same function on both
    // sides makes `text` match the same rows, whatever the database's own case rules.
    record.key.toLowerCase(),
    (record.description ?? '').toLowerCase(),
    json(record.provenance),
    json(record.specs),
    json(record.declarativeSchema),
    JSON.stringify(record.relationships),
    JSON.stringify(record.accessControl),
    record.createdBy,
    record.createdAt,
    record.expiresAt ?? null,
    order.v_major,
    order.v_minor,
    order.v_patch,
    order.v_prerelease,
    record.fileName ?? null,
  ]
}

export function rowToRecord(row: VersionRow): AssetRecord {
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
    accessControl: aclFromJson(row.acl),
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

// jsonb keeps object keys in its own order; the record reads best in the contract's order.
function aclFromJson(text: string): AccessControl {
  const acl = JSON.parse(text) as AccessControl
  return { owner: acl.owner, read: acl.read, write: acl.write, admin: acl.admin }
}
