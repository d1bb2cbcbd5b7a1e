import { isDeepStrictEqual } from 'node:util'
import {
  AssetError,
  type AssetRecord,
  type BaseAssetManager,
  isUnhashedReference,
  NotFoundError,
  normalizeReferenceEndpoint,
  REFERENCE_METADATA,
  referenceOf,
  runPool,
  validateKey,
} from '@assets/core'
import type { CzDatasetEntry, ParsedCatalogue } from './cz-benchmarks-datasets.js'

export interface CatalogueImportOptions {
  /** First key segment: `cz-benchmarks` gives `cz-benchmarks/<name>`. */
  prefix: string
  /** Read every object once now and record its sha256 (default: a HEAD only; the first get hashes). */
  hash: boolean
  /** An S3-compatible mirror of the bucket, recorded with each reference so later gets read there too. */
  endpoint?: string
  dryRun: boolean
  /** Where the catalogue came from, per file as named on the command line. */
  provenance: { repository?: string; commit?: string; blobs: ReadonlyMap<string, string> }
  signal?: AbortSignal
}

export type ImportStatus = 'new' | 'changed' | 'unchanged' | 'refused'

export interface ImportItem {
  name: string
  key: string
  uri?: string
  status: ImportStatus
  /** The version registered now (new, changed) or found unchanged. */
  version?: string
  /** For changed: the version it follows. */
  previous?: string
  /** True when this run read the object's bytes and recorded its sha256. */
  hashed?: boolean
  reason?: string
  code?: string
}

export interface ImportReport {
  entries: number
  new: number
  changed: number
  unchanged: number
  refused: number
  dryRun: boolean
  items: ImportItem[]
}

// HEADs in flight at once: enough to hide the round trip, few enough for a public bucket's limits.
const CONCURRENCY = 8

/**
 * Registers every entry by reference, each under `<prefix>/<name>`: a new key gets 1.0.0; an
 * existing one whose object (pin: size, ETag, version id, URI, endpoint) and mapped metadata are
 * unchanged is left alone; otherwise a new version is registered (never an overwrite). One
 * entry's failure (object missing, access denied) refuses that entry, not the others.
 */
export async function importCatalogue(manager: BaseAssetManager, catalogue: ParsedCatalogue, options: CatalogueImportOptions): Promise<ImportReport> {
  validateKey(`${options.prefix}/x`)
  const endpoint = options.endpoint === undefined ? undefined : normalizeReferenceEndpoint(options.endpoint)
  const importedAt = new Date().toISOString()
  const refused: ImportItem[] = catalogue.refused.map((r) => ({ name: r.name, key: `${options.prefix}/${r.name}`, status: 'refused', reason: `${r.file}: ${r.reason}`, code: 'INVALID_INPUT' }))
  // A reader that cannot be made (plugin missing, a plain http:// endpoint not allowed) fails the
  // whole import once, rather than every entry with the same reason.
  const first = catalogue.entries[0]
  if (first && manager.stack().referenceReaders) await manager.stack().referenceReaders?.storageFor({ uri: first.uri, endpoint })
  const items = await runPool(catalogue.entries, CONCURRENCY, async (entry) => {
    try {
      return await importEntry(manager, entry, { ...options, endpoint }, importedAt)
    } catch (error) {
      if (options.signal?.aborted) throw error
      const item: ImportItem = { name: entry.name, key: `${options.prefix}/${entry.name}`, uri: entry.uri, status: 'refused', reason: messageOf(error) }
      if (AssetError.isInstance(error)) item.code = error.code
      return item
    }
  })
  const all = [...items, ...refused].sort((a, b) => a.name.localeCompare(b.name))
  const count = (status: ImportStatus) => all.filter((i) => i.status === status).length
  return { entries: all.length, new: count('new'), changed: count('changed'), unchanged: count('unchanged'), refused: count('refused'), dryRun: options.dryRun, items: all }
}

async function importEntry(manager: BaseAssetManager, entry: CzDatasetEntry, options: CatalogueImportOptions, importedAt: string): Promise<ImportItem> {
  const key = `${options.prefix}/${entry.name}`
  const base = { name: entry.name, key, uri: entry.uri }
  const latest = await manager.getMetadata(key, 'latest').catch((error: unknown) => {
    if (NotFoundError.isInstance(error)) return undefined
    throw error
  })
  if (latest && (await unchanged(manager, latest, entry, options.endpoint))) {
    // --hash on a version registered without it: this read records the digest, as a first get would.
    if (options.hash && !options.dryRun && isUnhashedReference(latest)) {
      for await (const _ of await manager.stream(key, latest.version, { signal: options.signal })) {
        // drained: the stream records the digest at its end
      }
      return { ...base, status: 'unchanged', version: latest.version, hashed: true }
    }
    return { ...base, status: 'unchanged', version: latest.version }
  }
  const status = latest ? 'changed' : 'new'
  if (options.dryRun) return { ...base, status, ...(latest ? { previous: latest.version } : {}) }
  const blob = options.provenance.blobs.get(entry.file)
  const result = await manager.putReference(key, entry.uri, { ...entry.metadata }, {
    kind: 'dataset',
    hash: options.hash,
    reader: 's3',
    endpoint: options.endpoint,
    signal: options.signal,
    provenance: {
      source: 'cz-benchmarks',
      ...(options.provenance.repository ? { repository: options.provenance.repository } : {}),
      ...(options.provenance.commit ? { commit: options.provenance.commit } : {}),
      catalogue_file: entry.file,
      ...(blob ? { blob } : {}),
      imported_at: importedAt,
    },
  })
  return { ...base, status, version: result.version, ...(latest ? { previous: latest.version } : {}), ...(options.hash ? { hashed: true } : {}) }
}

/** Same object (by its pin, read with one HEAD) and the same mapped metadata as the latest version. */
async function unchanged(manager: BaseAssetManager, latest: AssetRecord, entry: CzDatasetEntry, endpoint: string | undefined): Promise<boolean> {
  const reference = referenceOf(latest)
  if (!reference || reference.uri !== entry.uri || reference.endpoint !== endpoint || reference.reader !== 's3' || latest.kind !== 'dataset') return false
  const { [REFERENCE_METADATA]: _, ...metadata } = latest.metadata
  if (!isDeepStrictEqual(metadata, JSON.parse(JSON.stringify(entry.metadata)))) return false
  const readers = manager.stack().referenceReaders
  if (!readers) return false
  const now = await (await readers.storageFor({ uri: entry.uri, endpoint })).stat(entry.uri)
  if (!now) throw new NotFoundError(`${entry.uri} does not exist${endpoint ? ` at ${endpoint}` : ''}`)
  return now.size === latest.size && now.etag === reference.etag && (now.versionId ?? undefined) === (reference.versionId ?? undefined)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
