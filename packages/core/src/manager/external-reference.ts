import type { AssetRecord } from '../asset-record.js'
import type { Storage } from '../contracts/storage.js'
import type { ContentDigest } from '../digest.js'
import { IntegrityError, InvalidInputError, UnsupportedOperationError } from '../errors/index.js'

/** Metadata field of a version registered by reference: where the object is and which version of it was hashed. */
export const REFERENCE_METADATA = 'externalReference'

export interface ExternalReference {
  uri: string
  etag?: string
  versionId?: string
}

export interface ReferencedContent {
  digest: ContentDigest
  size: number
  location: string
  fileCount: 1
  reference: ExternalReference
}

/** Stats and hashes (one read) an object the store did not write, through the backend's describeExternal. */
export async function describeReference(storage: Storage, uri: string, signal?: AbortSignal): Promise<ReferencedContent> {
  if (typeof uri !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/./i.test(uri)) {
    throw new InvalidInputError(`a reference must be a URI such as s3://bucket/path, got ${JSON.stringify(uri)}`)
  }
  if (!storage.describeExternal) throw new UnsupportedOperationError(`storage "${storage.name}" cannot register objects by reference`)
  const object = await storage.describeExternal(uri, { signal })
  const reference: ExternalReference = { uri, ...(object.etag ? { etag: object.etag } : {}), ...(object.versionId ? { versionId: object.versionId } : {}) }
  return { digest: object.digest, size: object.size, location: object.location, fileCount: 1, reference }
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
  if (now.size !== record.size) return `${reference.uri} changed underneath since it was registered (${record.size} bytes, now ${now.size})`
  return null
}

export async function assertReferenceUnchanged(storage: Storage, record: AssetRecord): Promise<void> {
  const problem = await referenceProblem(storage, record)
  if (problem) throw new IntegrityError(`${record.key}@${record.version}: ${problem}`)
}
