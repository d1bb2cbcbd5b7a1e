import { normalizeAccessControl } from './acl.js'
import { ASSET_KINDS, type AssetKind, type AssetRecord, type Relationship } from './asset-record.js'
import { AUDIT_ACTIONS, type RegisterAuditEntry } from './contracts/registry.js'
import { isContentDigest, isPinDigest } from './digest.js'
import { validateFileName } from './file-name.js'
import { InvalidInputError } from './errors/index.js'
import { validateKey } from './key.js'
import { normalizeVersion } from './semver.js'

// What every registry checks before it writes a record, so that all of them store the same
// canonical form and refuse the same bad input with the same messages.

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
    digest: checkDigest(input.digest, input),
    size: count(input.size, 'size'),
    fileCount: count(input.fileCount, 'fileCount'),
    location: nonEmpty(input.location, 'location'),
    metadata: plainObject(input.metadata, 'metadata'),
    relationships: (input.relationships ?? []).map(checkRelationship),
    accessControl: normalizeAccessControl(input.accessControl),
    createdBy: nonEmpty(input.createdBy, 'createdBy'),
    createdAt: isoTime(input.createdAt, 'createdAt'),
  }
  if (input.fileName !== undefined) record.fileName = validateFileName(input.fileName)
  if (input.description !== undefined) record.description = String(input.description)
  if (input.provenance !== undefined) record.provenance = plainObject(input.provenance, 'provenance')
  if (input.specs !== undefined) record.specs = jsonValue(input.specs, 'specs')
  if (input.declarativeSchema !== undefined) record.declarativeSchema = jsonValue(input.declarativeSchema, 'declarativeSchema')
  if (input.expiresAt !== undefined) record.expiresAt = isoTime(input.expiresAt, 'expiresAt')
  return record
}

/** An ISO 8601 UTC time from a Date or a date string. */
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

function checkDigest(digest: unknown, input: AssetRecord): AssetRecord['digest'] {
  // Only a file registered by reference may be registered before its bytes were read.
  const reference = input.metadata?.externalReference
  if (isPinDigest(digest) && input.type === 'file' && typeof reference === 'object' && reference !== null) return digest
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

/**
 * The extra audit entries of a registration, checked before the transaction starts: each has
 * an action and JSON details, and none poses as one of the registry's own mutations.
 */
export function registerAuditEntries(entries: RegisterAuditEntry[] | undefined): RegisterAuditEntry[] {
  if (entries === undefined) return []
  if (!Array.isArray(entries)) throw new InvalidInputError('audit must be a list of {action, details}')
  return entries.map((entry, i) => {
    const action = nonEmpty(entry?.action, `audit[${i}].action`)
    if ((Object.values(AUDIT_ACTIONS) as string[]).includes(action)) {
      throw new InvalidInputError(`audit[${i}].action ${JSON.stringify(action)} is one of the registry's own actions`)
    }
    return entry.details === undefined ? { action } : { action, details: plainObject(entry.details, `audit[${i}].details`) }
  })
}
