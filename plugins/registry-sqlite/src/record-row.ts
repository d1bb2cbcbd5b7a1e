import {
  ASSET_KINDS,
  type AssetKind,
  type AssetRecord,
  InvalidInputError,
  isContentDigest,
  normalizeAccessControl,
  normalizeVersion,
  type Relationship,
  validateKey,
} from '@assets/core'
import type { SqlValue } from './sql-fragment.js'
import { versionColumns } from './version-order.js'

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

/**
 * Checks a record before it is written and returns its canonical form: normalised versions,
 * ISO times, a normalised ACL. A registration is always of a live version, so deletion fields
 * on the input are ignored.
 */
export function normalizeRecord(input: AssetRecord): AssetRecord {
  const record: AssetRecord = {
    key: validateKey(input.key),
    version: normalizeVersion(input.version),
    kind: checkKind(input.kind),
    type: checkType(input.type),
    digest: checkDigest(input.digest),
    size: count(input.size, 'size'),
    fileCount: count(input.fileCount, 'fileCount'),
    location: nonEmpty(input.location, 'location'),
    metadata: plainObject(input.metadata, 'metadata'),
    relationships: (input.relationships ?? []).map(checkRelationship),
    accessControl: normalizeAccessControl(input.accessControl),
    createdBy: nonEmpty(input.createdBy, 'createdBy'),
    createdAt: isoTime(input.createdAt, 'createdAt'),
  }
  if (input.description !== undefined) record.description = String(input.description)
  if (input.provenance !== undefined) record.provenance = plainObject(input.provenance, 'provenance')
  if (input.specs !== undefined) record.specs = jsonValue(input.specs, 'specs')
  if (input.declarativeSchema !== undefined) record.declarativeSchema = jsonValue(input.declarativeSchema, 'declarativeSchema')
  if (input.expiresAt !== undefined) record.expiresAt = isoTime(input.expiresAt, 'expiresAt')
  return record
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
    description: record.description ?? null,
    metadata: JSON.stringify(record.metadata),
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
  if (row.description !== null) record.description = row.description
  if (row.provenance !== null) record.provenance = JSON.parse(row.provenance) as AssetRecord['provenance']
  if (row.specs !== null) record.specs = JSON.parse(row.specs) as unknown
  if (row.declarative_schema !== null) record.declarativeSchema = JSON.parse(row.declarative_schema) as unknown
  if (row.deleted_at !== null) record.deletedAt = row.deleted_at
  if (row.deleted_by !== null) record.deletedBy = row.deleted_by
  if (row.expires_at !== null) record.expiresAt = row.expires_at
  return record
}

export function isoTime(value: unknown, what: string): string {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined
  if (!date || Number.isNaN(date.getTime())) throw new InvalidInputError(`${what} is not a date: ${JSON.stringify(value)}`)
  return date.toISOString()
}

function checkKind(kind: unknown): AssetKind {
  if (!(ASSET_KINDS as readonly unknown[]).includes(kind)) {
    throw new InvalidInputError(`unknown kind ${JSON.stringify(kind)} (known: ${ASSET_KINDS.join(', ')})`)
  }
  return kind as AssetKind
}

function checkType(type: unknown): AssetRecord['type'] {
  if (type !== 'file' && type !== 'folder') throw new InvalidInputError(`type must be "file" or "folder", got ${JSON.stringify(type)}`)
  return type
}

function checkDigest(digest: unknown): AssetRecord['digest'] {
  if (!isContentDigest(digest)) throw new InvalidInputError(`digest must be sha256:<64 lowercase hex>, got ${JSON.stringify(digest)}`)
  return digest
}

function checkRelationship(r: Relationship): Relationship {
  return { relation: nonEmpty(r.relation, 'relationship relation'), key: validateKey(r.key), version: normalizeVersion(r.version) }
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(`${what} must be a non-negative integer, got ${JSON.stringify(value)}`)
  }
  return value
}

export function nonEmpty(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidInputError(`${what} must be a non-empty string`)
  return value
}

function plainObject<T extends Record<string, unknown>>(value: T, what: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(`${what} must be an object`)
  return jsonValue(value, what)
}

/** What is stored is what JSON keeps: a value that would not survive the trip is refused. */
function jsonValue<T>(value: T, what: string): T {
  try {
    return JSON.parse(JSON.stringify(value)) as T
  } catch (cause) {
    throw new InvalidInputError(`${what} must be JSON-serialisable`, { cause })
  }
}
