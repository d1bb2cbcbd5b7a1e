import { createHash } from 'node:crypto'
import type { AssetRecord } from '../asset-record.js'
import type { Storage } from '../contracts/storage.js'
import { type ContentDigest, isPinDigest, type PinDigest } from '../digest.js'
import { IntegrityError, InvalidInputError, NotFoundError, UnsupportedOperationError } from '../errors/index.js'

/** Metadata field of a version registered by reference: where the object is and which version of it was registered. */
export const REFERENCE_METADATA = 'externalReference'

/**
 * Where a referenced object is and its pin: the ETag, version id and (with the record's size)
 * what every read checks, so that a replaced object is noticed before its bytes are used.
 */
export interface ExternalReference {
  uri: string
  etag?: string
  versionId?: string
  /** ISO time the store reported when the object was registered; informative, not part of the pin. */
  lastModified?: string
  /**
   * Read through a reference reader of this scheme (an anonymous S3 client unless credentials are
   * given) rather than through the store's own storage: set for objects registered that way.
   */
  reader?: 's3'
  /** The S3-compatible endpoint the reader uses (a mirror of the bucket); absent: the scheme's default (AWS). */
  endpoint?: string
}

/** Storages that read objects the store did not write (`s3://…` from a laptop whose store is a local folder). */
export interface ReferenceReaders {
  /** The storage that reads this reference's object; one per bucket and endpoint, made on first use. */
  storageFor(reference: Pick<ExternalReference, 'uri' | 'endpoint'>): Promise<Storage>
  close(): Promise<void>
}

export interface ReferencedContent {
  /** The content's sha256 when it was read now, else the pin's digest until the first full read. */
  digest: ContentDigest | PinDigest
  size: number
  location: string
  fileCount: 1
  reference: ExternalReference
}

export interface DescribeReferenceOptions {
  /** Read every byte now and record the sha256 (default); false: only a HEAD, the digest comes with the first get. */
  hash?: boolean
  /** Through a reference reader; `endpoint` implies it. */
  reader?: 's3'
  endpoint?: string
  signal?: AbortSignal
}

/**
 * The digest a reference carries until its bytes are read: sha256 of what pins it (URI,
 * endpoint, size, ETag, version id). Two registrations of the same unchanged object agree on it.
 */
export function pinDigestOf(reference: ExternalReference, size: number): PinDigest {
  const pin = JSON.stringify([reference.uri, reference.endpoint ?? null, size, reference.etag ?? null, reference.versionId ?? null])
  return `pin:${createHash('sha256').update(pin).digest('hex')}`
}

/** Whether a version registered by reference still waits for its first full read to record its digest. */
export function isUnhashedReference(record: Pick<AssetRecord, 'digest'>): boolean {
  return isPinDigest(record.digest)
}

/** The storage that reads a version's content: its reference reader for an object registered through one. */
export async function storageOfRecord(
  parts: { storage: Storage; referenceReaders?: ReferenceReaders },
  record: Pick<AssetRecord, 'metadata' | 'key' | 'version'>,
): Promise<Storage> {
  const reference = referenceOf(record)
  // The asset server's client reads a version's content through that version, which the server authorises.
  if (!reference?.reader) return parts.storage.scopedTo?.({ key: record.key, version: record.version }) ?? parts.storage
  return readerStorage(parts.referenceReaders, reference)
}

async function readerStorage(readers: ReferenceReaders | undefined, reference: Pick<ExternalReference, 'uri' | 'endpoint'>): Promise<Storage> {
  if (!readers) throw new UnsupportedOperationError(`no reader for ${reference.uri} on this stack: a manager made by createAssetManager has one for s3:// (with @assets/storage-s3 installed)`)
  return readers.storageFor(reference)
}

/**
 * Stats an object the store did not write and, unless `hash: false`, hashes it in one read
 * (the backend's describeExternal). Without hashing only a HEAD is made: size, ETag, version id
 * and last-modified are its pin until the first get records the sha256.
 */
export async function describeReference(
  parts: { storage: Storage; referenceReaders?: ReferenceReaders },
  uri: string,
  options: DescribeReferenceOptions = {},
): Promise<ReferencedContent> {
  if (typeof uri !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/./i.test(uri)) {
    throw new InvalidInputError(`a reference must be a URI such as s3://bucket/path, got ${JSON.stringify(uri)}`)
  }
  const reader = options.reader ?? (options.endpoint !== undefined ? 's3' : undefined)
  if (reader !== undefined && !uri.startsWith(`${reader}://`)) throw new InvalidInputError(`the ${reader} reader reads ${reader}:// URIs, not ${uri}`)
  const endpoint = options.endpoint === undefined ? undefined : normalizeEndpoint(options.endpoint)
  const storage = reader ? await readerStorage(parts.referenceReaders, { uri, endpoint }) : parts.storage
  const pinned = (object: { etag?: string; versionId?: string; lastModified?: Date }): ExternalReference => ({
    uri,
    ...(object.etag ? { etag: object.etag } : {}),
    ...(object.versionId ? { versionId: object.versionId } : {}),
    ...(object.lastModified ? { lastModified: object.lastModified.toISOString() } : {}),
    ...(reader ? { reader } : {}),
    ...(endpoint ? { endpoint } : {}),
  })
  if (options.hash === false) {
    // Only through a reader, which is bound to the one bucket it was made for: the configured
    // storage's stat reads any URI its credentials reach, and only its describeExternal applies
    // the allow-list of buckets it may register by reference.
    if (!reader) throw new InvalidInputError(`${uri}: registering by reference without hashing needs a reference reader (reader: 's3' or an endpoint)`)
    const object = await storage.stat(uri)
    if (!object) throw new NotFoundError(`${uri} does not exist`)
    // Without an ETag nothing would notice a replaced object before its first full read.
    if (!object.etag) throw new IntegrityError(`${uri} has no ETag, so it cannot be pinned without reading it: register it with hashing`)
    const reference = pinned(object)
    return { digest: pinDigestOf(reference, object.size), size: object.size, location: uri, fileCount: 1, reference }
  }
  if (!storage.describeExternal) throw new UnsupportedOperationError(`storage "${storage.name}" cannot register objects by reference`)
  const object = await storage.describeExternal(uri, { signal: options.signal })
  return { digest: object.digest, size: object.size, location: object.location, fileCount: 1, reference: pinned(object) }
}

/** An endpoint as recorded: the URL's origin and path, never credentials, a query or a fragment. */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch (cause) {
    throw new InvalidInputError(`endpoint ${JSON.stringify(endpoint)} is not a URL`, { cause })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidInputError(`endpoint must be an http(s) URL, not ${url.protocol}`)
  if (url.username || url.password || url.search || url.hash) {
    throw new InvalidInputError('endpoint must not carry credentials, a query or a fragment: it is recorded in the catalogue')
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

export function referenceOf(record: Pick<AssetRecord, 'metadata'>): ExternalReference | undefined {
  const value = record.metadata?.[REFERENCE_METADATA] as Partial<ExternalReference> | undefined
  return value && typeof value === 'object' && typeof value.uri === 'string' ? (value as ExternalReference) : undefined
}

/** Why a referenced object no longer is what was registered, or null when it still is (or the version is not a reference). */
export async function referenceProblem(storage: Storage, record: AssetRecord): Promise<string | null> {
  const reference = referenceOf(record)
  if (!reference) return null
  const now = await storage.stat(record.location)
  if (!now) return `${reference.uri} is gone since it was registered`
  if (reference.etag !== undefined && now.etag !== reference.etag) {
    return `${reference.uri} changed underneath since it was registered (ETag ${reference.etag}, now ${now.etag ?? 'none'})`
  }
  if (reference.versionId !== undefined && now.versionId !== undefined && now.versionId !== reference.versionId) {
    return `${reference.uri} changed underneath since it was registered (version id ${reference.versionId}, now ${now.versionId})`
  }
  if (now.size !== record.size) return `${reference.uri} changed underneath since it was registered (${record.size} bytes, now ${now.size})`
  return null
}

export async function assertReferenceUnchanged(storage: Storage, record: AssetRecord): Promise<void> {
  const problem = await referenceProblem(storage, record)
  if (problem) throw new IntegrityError(`${record.key}@${record.version}: ${problem}`)
}
