import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { type AccessControl, type Actor, can, defaultAccessControl, normalizeAccessControl } from '../acl.js'
import { ASSET_KINDS, type AssetKind, type AssetRecord, type Provenance, type Relationship } from '../asset-record.js'
import type { TransferProgress } from '../atomic-file.js'
import type { RegisterAuditEntry } from '../contracts/registry.js'
import type { ContentDigest, PinDigest } from '../digest.js'
import { AccessDeniedError, IntegrityError, InvalidInputError, NotFoundError, VersionConflictError } from '../errors/index.js'
import { validateFileName } from '../file-name.js'
import { validateKey } from '../key.js'
import { checkDescription, checkMetadata } from '../metadata-limits.js'
import { normalizeRecord } from '../record-checks.js'
import { bumpPatch, compareVersions, isVersion, normalizeVersion } from '../semver.js'
import { requirePermission } from './access-guard.js'
import { ContentLease } from './content-lease.js'
import { type StoredContent, storeFile, storeFolder } from './content-store.js'
import { cacheStoredFile } from './linked-content.js'
import { type DescribeReferenceOptions, describeReference, pinDigestOf, REFERENCE_METADATA, referenceOf } from './external-reference.js'
import { isPinDigest } from '../digest.js'
import { FolderListing, listFolder } from './folder-manifest.js'
import { checkStoredClaim, checkStoredContent, type StoredContentClaim } from './stored-content.js'
import type { ManagerParts } from './manager-parts.js'

export interface PutProgress extends Partial<TransferProgress> {
  /** `validate` → `upload` (with bytes) → `register` → `done`. */
  phase: 'validate' | 'upload' | 'register' | 'done'
}

export interface PutOptions {
  /** Semantic version; when omitted the latest patch is bumped (1.0.0 for a new key). */
  version?: string
  /**
   * The name `get` hands the content back under; default: the source's base name (a reference's
   * last path segment). Give one when the source is a temporary path.
   */
  fileName?: string
  kind?: AssetKind
  description?: string
  specs?: unknown
  declarativeSchema?: unknown
  /** Relations to other assets; a tag or `latest` is resolved to the exact version now. */
  relationships?: Relationship[]
  provenance?: Provenance
  /** Owner and lists; a new version otherwise inherits the previous version's ACL. */
  accessControl?: Partial<AccessControl>
  tags?: string[]
  /** ISO time after which `gc` may remove this version (temporary outputs). */
  expiresAt?: string | Date
  /**
   * For a folder: also follow links that lead out of it, storing what they point to. By default
   * such links are refused (with their names); links inside the folder are always followed and
   * stored as the files they point to; a link cycle is refused either way.
   */
  followLinks?: boolean
  signal?: AbortSignal
  onProgress?: (progress: PutProgress) => void
  /**
   * The digest the content must have (a file's sha256, a folder's manifest digest): checked on
   * the bytes as they were stored, before registering; other bytes → IntegrityError and no
   * version (what was uploaded is left unreferenced, for gc).
   */
  digest?: ContentDigest
  /**
   * Runs after the content is stored and before the version is registered, with what was
   * stored; a throw registers nothing. For checks that the stored bytes are the ones a caller
   * validated (see the datasets manager).
   */
  beforeRegister?: (content: { digest: ContentDigest; size: number; fileCount: number }) => Promise<void>
  /** More audit entries about this put, written in the registration's transaction (only when the version is created). */
  audit?: RegisterAuditEntry[]
}

export interface PutResult extends AssetRecord {
  /** False when an identical version already existed and nothing was written. */
  created: boolean
}

const TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
// Auto-bumped versions can collide with another process doing the same; each collision costs
// one registry round trip, so a generous bound still ends quickly.
const MAX_VERSION_ATTEMPTS = 32

export function validateTag(tag: unknown): string {
  if (typeof tag !== 'string' || !TAG.test(tag) || tag === 'latest' || isVersion(tag)) {
    throw new InvalidInputError(
      `invalid tag ${JSON.stringify(tag)}: use letters, digits, ".", "_" or "-"; "latest" and version numbers are reserved`,
    )
  }
  return tag
}

async function inspectSource(path: string): Promise<'file' | 'folder'> {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidInputError('a source path is required')
  const info = await stat(path).catch((cause: unknown) => {
    throw new InvalidInputError(`source ${path} does not exist or cannot be read`, { cause })
  })
  if (!info.isFile() && !info.isDirectory()) throw new InvalidInputError(`source ${path} is neither a file nor a folder`)
  await access(path, constants.R_OK | (info.isDirectory() ? constants.X_OK : 0)).catch((cause: unknown) => {
    throw new InvalidInputError(`source ${path} is not readable`, { cause })
  })
  return info.isDirectory() ? 'folder' : 'file'
}

/** Everything checked before any byte moves, so that bad input writes nothing. */
interface PreparedPut {
  type: 'file' | 'folder'
  metadata: Record<string, unknown>
  kind: AssetKind
  tags: string[]
  relationships: Relationship[]
  previous?: AssetRecord
  versions: AssetRecord[]
  expiresAt?: string
  fileName?: string
}

/**
 * A local file or folder, or an object the storage did not write (registered by reference):
 * hashed now unless `hash: false`, read through a reference reader when `reader` or `endpoint`
 * is given (see describeReference), or content already stored at its blob location (an asset
 * server's client uploaded it first; see stored-content.ts).
 */
export type PutSource = string | ({ reference: string } & Omit<DescribeReferenceOptions, 'signal'>) | { stored: StoredContentClaim }

async function prepare(
  parts: ManagerParts,
  actor: Actor,
  key: string,
  source: PutSource,
  metadata: unknown,
  options: PutOptions,
): Promise<PreparedPut> {
  validateKey(key)
  if (options.version !== undefined) normalizeVersion(options.version)
  const kind = options.kind ?? 'other'
  if (!(ASSET_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidInputError(`unknown kind ${JSON.stringify(kind)} (known: ${ASSET_KINDS.join(', ')})`)
  }
  const tags = [...new Set((options.tags ?? []).map(validateTag))]
  // Metadata is stored as JSON: refuse what would not survive the trip, or is too big, now.
  const cleanMetadata = checkMetadata(metadata ?? {})
  if (options.description !== undefined) checkDescription(options.description)
  if (options.accessControl) normalizeAccessControl({ owner: `user:${actor.user}`, ...options.accessControl })
  let expiresAt: string | undefined
  if (options.expiresAt !== undefined) {
    const d = new Date(options.expiresAt)
    if (Number.isNaN(d.getTime())) throw new InvalidInputError(`expiresAt is not a date: ${String(options.expiresAt)}`)
    // A time already passed would hand the new version to the next gc: a mistake, not a wish.
    if (d.getTime() <= Date.now()) throw new InvalidInputError(`expiresAt ${d.toISOString()} has already passed`)
    expiresAt = d.toISOString()
  }
  if ((typeof source === 'string' || 'stored' in source) && REFERENCE_METADATA in cleanMetadata) {
    throw new InvalidInputError(`metadata field "${REFERENCE_METADATA}" is reserved for versions registered by reference`)
  }
  // Stored content's claim is checked for shape now; its blobs under the lease, in storeAndRegister.
  const type = typeof source === 'string' ? await inspectSource(source) : 'stored' in source ? checkStoredClaim(source.stored).type : 'file'
  const fileName = options.fileName !== undefined ? validateFileName(options.fileName) : sourceName(source)
  const versions = await parts.registry.listVersions(key, { includeDeleted: true })
  const previous = versions.find((r) => !r.deletedAt) ?? versions[0]
  // One refusal, naming no version, for a key the actor may not write, whether or not they may
  // read it; the same when the version asked for exists (build metadata aside) but is hidden from
  // them. That the put fails at all is unavoidable (a key is one name for everyone, and it is
  // taken), but the answer says no more: not which versions exist nor whose they are, and not
  // "not found", which would claim that the key is free.
  const wanted = options.version === undefined ? undefined : normalizeVersion(options.version)
  const same = wanted === undefined ? undefined : versions.find((r) => compareVersions(r.version, wanted) === 0)
  if ((previous && !can(actor, previous.accessControl, 'write')) || (same && !can(actor, same.accessControl, 'read'))) {
    throw new AccessDeniedError(`user "${actor.user}" may not put ${key}: it needs write access to that key`)
  }
  if (previous) {
    // Choosing who may access the new version is an admin's decision, not a writer's.
    if (options.accessControl) requirePermission(actor, previous, 'admin', 'change access to')
  }
  const relationships = await resolveRelationships(parts, actor, options.relationships ?? [])
  // Whatever a registry would refuse in these fields is refused now, before a byte is stored.
  if (options.provenance !== undefined) checkMetadata(options.provenance, 'provenance')
  const actorPrincipal = `user:${actor.user}` as const
  normalizeRecord({
    key,
    version: wanted ?? '0.0.0',
    kind,
    type,
    digest: `sha256:${'0'.repeat(64)}`,
    size: 0,
    fileCount: 0,
    location: 'not-stored-yet',
    fileName,
    metadata: cleanMetadata,
    provenance: options.provenance,
    specs: options.specs,
    declarativeSchema: options.declarativeSchema,
    relationships,
    accessControl: { owner: actorPrincipal, read: [], write: [], admin: [] },
    createdBy: actorPrincipal,
    createdAt: new Date().toISOString(),
    expiresAt,
  })
  return { type, metadata: cleanMetadata, kind, tags, relationships, previous, versions, expiresAt, fileName }
}

/**
 * The source's own name: a path's base name, a reference's last path segment. A local name no
 * filesystem-safe name can stand for (a control character in it) is refused, pointing at
 * `fileName`; a reference without a usable last segment simply has none.
 */
function sourceName(source: PutSource): string | undefined {
  if (typeof source === 'string') {
    const name = basename(resolve(source))
    if (name === '') return undefined // the root folder
    try {
      return validateFileName(name)
    } catch (error) {
      throw new InvalidInputError(`${(error as Error).message}; give the version a name (fileName, --name)`, { cause: error })
    }
  }
  // Stored content has no name of its own: only the one the caller gives.
  if ('stored' in source) return undefined
  let name: string
  try {
    name = decodeURIComponent(new URL(source.reference).pathname.split('/').at(-1) ?? '')
  } catch {
    return undefined
  }
  try {
    return validateFileName(name)
  } catch {
    return undefined
  }
}

async function resolveRelationships(parts: ManagerParts, actor: Actor, relations: Relationship[]): Promise<Relationship[]> {
  const resolved: Relationship[] = []
  for (const r of relations) {
    if (typeof r.relation !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(r.relation)) {
      throw new InvalidInputError(`invalid relation name ${JSON.stringify(r.relation)}`)
    }
    validateKey(r.key)
    const version = await parts.registry.resolve(r.key, r.version ?? 'latest')
    const target = version === null ? null : await parts.registry.get(r.key, version)
    // A target the actor may not read is answered as a missing one (DESIGN §5.9).
    if (!target || !can(actor, target.accessControl, 'read')) {
      throw new NotFoundError(`related asset ${r.key}@${r.version ?? 'latest'} does not exist or is not readable`)
    }
    resolved.push({ relation: r.relation, key: r.key, version: target.version })
  }
  return resolved
}

/**
 * Everything a caller can choose is the same; only who registered it and when may differ, and a
 * file name taken from the source: the same bytes put again from another (temporary) path are
 * the same version. A name the caller gives is a choice like any other.
 */
function sameVersion(existing: AssetRecord, candidate: AssetRecord, nameGiven: boolean): boolean {
  const { createdAt: _a, createdBy: _b, deletedAt: _c, deletedBy: _d, fileName: nameX, ...x } = existing
  const { createdAt: _e, createdBy: _f, fileName: nameY, ...y } = withRecordedDigest(existing, candidate)
  if (nameGiven && nameX !== nameY) return false
  return isDeepStrictEqual(JSON.parse(JSON.stringify(x)), JSON.parse(JSON.stringify(y)))
}

/**
 * A reference registered again without reading it carries its pin's digest; when the existing
 * version has the same pin and has recorded its content digest since, that is the same content.
 */
function withRecordedDigest(existing: AssetRecord, candidate: AssetRecord): AssetRecord {
  const reference = referenceOf(existing)
  if (!isPinDigest(candidate.digest) || !reference || isPinDigest(existing.digest)) return candidate
  if (pinDigestOf(reference, existing.size) !== candidate.digest) return candidate
  // The recorded field of the existing reference that the new HEAD may report differently is only informative.
  const candidateReference = referenceOf(candidate)
  const metadata = candidateReference ? { ...candidate.metadata, [REFERENCE_METADATA]: { ...candidateReference, lastModified: reference.lastModified } } : candidate.metadata
  return { ...candidate, digest: existing.digest, metadata }
}

function nextVersion(versions: AssetRecord[]): string {
  const highest = versions.map((r) => r.version).sort(compareVersions).at(-1)
  return highest === undefined ? '1.0.0' : bumpPatch(highest)
}

/** Validate, store the content, then register: the registry row is the commit point. */
export async function putAsset(
  parts: ManagerParts,
  actor: Actor,
  key: string,
  source: PutSource,
  metadata: unknown,
  options: PutOptions = {},
): Promise<PutResult> {
  const progress = options.onProgress ?? (() => {})
  progress({ phase: 'validate' })
  const prep = await prepare(parts, actor, key, source, metadata, options)
  // Listed before validators read the folder: a link out of it is refused before anyone follows it.
  const folderFiles = typeof source === 'string' && prep.type === 'folder' ? await listFolder(source, { followLinks: options.followLinks }) : undefined
  // A reference is only hashed, never copied here, and stored content is not local: validators,
  // which read a local copy, run on neither.
  const validators = typeof source === 'string' ? (parts.validators ?? []) : []
  for (const v of validators) {
    if (v.kinds && !v.kinds.includes(prep.kind)) continue
    await v.validate({
      path: source as string,
      type: prep.type,
      key,
      kind: prep.kind,
      metadata: prep.metadata,
      specs: options.specs,
      declarativeSchema: options.declarativeSchema,
    })
  }
  progress({ phase: 'upload', bytes: 0 })
  // Held from before the first byte is checked until after the version is registered: gc
  // cannot remove what this put reuses or writes, however the two interleave.
  const lease = new ContentLease(parts.registry, 'put', parts.holdTtlMs)
  try {
    return await storeAndRegister(parts, actor, key, source, options, { ...prep, folderFiles }, lease)
  } finally {
    lease.stop()
    await lease.release().catch(() => {
      // Unreleased holds lapse at their TTL; the put itself has succeeded or failed already.
    })
  }
}

async function storeAndRegister(
  parts: ManagerParts,
  actor: Actor,
  key: string,
  source: PutSource,
  options: PutOptions,
  prep: PreparedPut & { folderFiles?: FolderListing },
  lease: ContentLease,
): Promise<PutResult> {
  const progress = options.onProgress ?? (() => {})
  const transfer = { signal: options.signal, lease, onProgress: (p: TransferProgress) => progress({ phase: 'upload', ...p }) }
  let content: { digest: ContentDigest | PinDigest; size: number; location: string; fileCount: number }
  // A file whose blob this put wrote itself, which the cache may then take at no cost.
  let written: StoredContent | undefined
  let recordMetadata = prep.metadata
  if (typeof source !== 'string' && 'stored' in source) {
    content = await checkStoredContent(parts.storage, source.stored, lease, options.signal)
  } else if (typeof source !== 'string') {
    const { reference: uri, ...how } = source
    const referenced = await describeReference(parts, uri, { ...how, signal: options.signal })
    content = referenced
    recordMetadata = { ...prep.metadata, [REFERENCE_METADATA]: referenced.reference }
  } else if (prep.type === 'file') {
    written = await storeFile(parts.storage, source, transfer)
    content = { ...written, fileCount: 1 }
  } else {
    content = await storeFolder(parts.storage, prep.folderFiles ?? new FolderListing(), transfer)
  }
  options.signal?.throwIfAborted()
  // A reference registered without reading it has no content digest yet that a caller could check.
  if (isPinDigest(content.digest) && (options.digest !== undefined || options.beforeRegister)) {
    throw new InvalidInputError(`${key}: a reference registered without hashing has no content digest to check yet; register it with hashing`)
  }
  if (options.digest !== undefined && content.digest !== options.digest) {
    throw new IntegrityError(`${key}: the stored content has digest ${content.digest}, not the expected ${options.digest}; nothing was registered`)
  }
  await options.beforeRegister?.({ digest: content.digest as ContentDigest, size: content.size, fileCount: content.fileCount })

  const inherited = prep.previous?.accessControl
  const accessControl = options.accessControl
    ? normalizeAccessControl({ owner: inherited?.owner ?? `user:${actor.user}`, ...options.accessControl })
    : (inherited ?? defaultAccessControl(actor, parts.defaultAccessControl))
  const latest = prep.versions.find((r) => !r.deletedAt)
  const record = (version: string): AssetRecord => ({
    key,
    version,
    kind: prep.kind,
    type: prep.type,
    digest: content.digest,
    size: content.size,
    fileCount: content.fileCount,
    location: content.location,
    fileName: prep.fileName,
    description: options.description,
    metadata: recordMetadata,
    provenance: options.provenance,
    specs: options.specs,
    declarativeSchema: options.declarativeSchema,
    relationships: prep.relationships,
    accessControl,
    createdBy: `user:${actor.user}`,
    createdAt: new Date().toISOString(),
    expiresAt: prep.expiresAt,
  })

  // Putting the same bytes with the same fields again without a version changes nothing.
  if (options.version === undefined && latest && sameVersion(latest, record(latest.version), options.fileName !== undefined)) {
    for (const tag of prep.tags) await parts.registry.setTag(key, tag, latest.version, { actor: `user:${actor.user}` })
    progress({ phase: 'done' })
    return { ...latest, created: false }
  }

  progress({ phase: 'register' })
  let versions = prep.versions
  for (let attempt = 0; ; attempt++) {
    const version = options.version === undefined ? nextVersion(versions) : normalizeVersion(options.version)
    try {
      const result = await parts.registry.register(record(version), { actor: `user:${actor.user}`, tags: prep.tags, audit: options.audit })
      if (result.record.deletedAt) {
        throw new VersionConflictError(`${key}@${version} was deleted; a deleted version number is never reused`)
      }
      if (written?.written) await cacheStoredFile(parts, written, options.signal)
      progress({ phase: 'done' })
      return { ...result.record, created: result.created }
    } catch (error) {
      if (!VersionConflictError.isInstance(error) || options.version !== undefined || attempt >= MAX_VERSION_ATTEMPTS) throw error
      // Another writer took that number first: bump past it and try again.
      versions = await parts.registry.listVersions(key, { includeDeleted: true })
    }
  }
}
