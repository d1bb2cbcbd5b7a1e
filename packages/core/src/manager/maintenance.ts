import { createHash } from 'node:crypto'
import type { Actor } from '../acl.js'
import type { AssetRecord, ManifestEntry } from '../asset-record.js'
import type { StorageObjectInfo } from '../contracts/storage.js'
import { blobLocation, type ContentDigest, isPinDigest, type PinDigest } from '../digest.js'
import { AssetError, UnsupportedOperationError } from '../errors/index.js'
import { compileQuery } from '../query.js'
import { readScope } from './access-guard.js'
import { temporaryPathOwner } from '../atomic-file.js'
import { ContentLease } from './content-lease.js'
import { runPool } from '../transfer/run-pool.js'
import { stagingLeaseOf } from './folder-store.js'
import { THREADED_VERIFY_MAX_BYTES, THREADED_VERIFY_MIN_FILES, verifyOnThreads } from './threaded-verify.js'

/** Files of a folder checked at once. */
const VERIFY_CONCURRENCY = 16
import { BLOB_PREFIX, readManifest, STAGING_PREFIX } from './content-store.js'
import { referenceProblem, storageOfRecord } from './external-reference.js'
import type { MutationContext, Registry } from '../contracts/registry.js'
import type { Storage } from '../contracts/storage.js'
import type { ManagerParts } from './manager-parts.js'

export interface VerifyProblem {
  key: string
  version: string
  location: string
  message: string
}

export interface VerifyReport {
  checked: number
  ok: number
  problems: VerifyProblem[]
}

export interface VerifyOptions {
  /** Re-hash every byte (default). `false` only checks that each object exists with the right size. */
  deep?: boolean
  signal?: AbortSignal
}

export interface GcOptions {
  dryRun?: boolean
  /** Objects younger than this are kept: a put may have uploaded them and not yet registered. Default one hour. */
  graceSeconds?: number
  now?: Date
}

export interface GcReport {
  dryRun: boolean
  /** Expired versions (temporary outputs) removed from the registry. */
  purgedVersions: Array<{ key: string; version: string }>
  removedObjects: string[]
  freedBytes: number
  /** Multipart uploads older than the grace period that the storage aborted (backends with `abortStaleUploads`). */
  abortedUploads?: string[]
}

async function checkObject(
  storage: Storage,
  location: string,
  expected: { digest: ContentDigest | PinDigest; size: number },
  deep: boolean,
  signal?: AbortSignal,
  record?: { registry: Registry; key: string; version: string; context: MutationContext; pinProblem: () => Promise<string | null> },
): Promise<string | null> {
  const info = await storage.stat(location)
  if (!info) return 'missing from storage'
  if (info.size !== expected.size) return `size ${info.size}, expected ${expected.size}`
  if (!deep) return null
  const hash = createHash('sha256')
  for await (const chunk of storage.open(location, { signal })) hash.update(chunk)
  const actual: ContentDigest = `sha256:${hash.digest('hex')}`
  // A reference never read before: this full read records its digest, as a first get would.
  if (isPinDigest(expected.digest) && record) {
    // Checked again after the read, so that bytes of an object replaced meanwhile are never recorded.
    const changed = await record.pinProblem()
    if (changed) return changed
    const recorded = await record.registry.recordContentDigest(record.key, record.version, actual, record.context)
    return recorded.digest === actual ? null : `digest ${actual}, but its first read recorded ${recorded.digest}`
  }
  return actual === expected.digest ? null : `digest ${actual}, expected ${expected.digest}`
}

async function verifyRecord(parts: ManagerParts, record: AssetRecord, options: VerifyOptions, context: MutationContext): Promise<VerifyProblem[]> {
  const deep = options.deep ?? true
  const problem = (location: string, message: string): VerifyProblem => ({ key: record.key, version: record.version, location, message })
  if (record.type === 'file') {
    let storage: Storage
    try {
      storage = await storageOfRecord(parts, record)
    } catch (error) {
      // A reference this client cannot read (no reader plugin, an unknown scheme) is one problem, not the end of the run.
      return [problem(record.location, `cannot be read here: ${error instanceof Error ? error.message : String(error)}`)]
    }
    const pinProblem = () => referenceProblem(storage, record)
    const recording = { registry: parts.registry, key: record.key, version: record.version, context, pinProblem }
    const message = (await pinProblem()) ?? (await checkObject(storage, record.location, record, deep, options.signal, recording))
    return message ? [problem(record.location, message)] : []
  }
  let files: Awaited<ReturnType<typeof readManifest>>['files']
  try {
    files = (await readManifest(parts.storage, record.location, record.digest as ContentDigest, options.signal)).files
  } catch (error) {
    return [problem(record.location, `manifest: ${AssetError.isInstance(error) || error instanceof Error ? error.message : String(error)}`)]
  }
  const found: Array<VerifyProblem | undefined> = new Array(files.length)
  // Many small files of a local storage: read and hashed on threads (see threaded-verify.ts).
  // Only a deep check: a shallow one is a stat per file, which threads would not make quicker.
  const localPath = deep ? parts.storage.localPath?.bind(parts.storage) : undefined
  const indices = files.map((_, i) => i)
  const small = localPath ? indices.filter((i) => (files[i] as ManifestEntry).size <= THREADED_VERIFY_MAX_BYTES) : []
  let rest = indices
  if (localPath && small.length >= THREADED_VERIFY_MIN_FILES) {
    const checked = small.map((i) => files[i] as ManifestEntry)
    for (const { index, message } of await verifyOnThreads(checked, localPath, { signal: options.signal, backend: parts.storage.name })) {
      const file = checked[index] as ManifestEntry
      found[small[index] as number] = problem(blobLocation(file.digest), `${file.path}: ${message}`)
    }
    rest = indices.filter((i) => (files[i] as ManifestEntry).size > THREADED_VERIFY_MAX_BYTES)
  }
  // Several files at once: a folder of many small files is bound by per-file latency, not bytes.
  await runPool(rest, VERIFY_CONCURRENCY, async (i) => {
    const file = files[i] as ManifestEntry
    const location = blobLocation(file.digest)
    const message = await checkObject(parts.storage, location, file, deep, options.signal)
    if (message) found[i] = problem(location, `${file.path}: ${message}`)
  })
  // In manifest order, whichever way each file was checked.
  const problems = found.filter((p): p is VerifyProblem => p !== undefined)
  const total = files.reduce((n, f) => n + f.size, 0)
  if (total !== record.size) problems.push(problem(record.location, `files add up to ${total} bytes, expected ${record.size}`))
  return problems
}

/** Every readable version of the catalogue, page by page, through the registry's own ACL filter. */
async function* readableVersions(parts: ManagerParts, actor: Actor): AsyncIterable<AssetRecord> {
  let cursor: string | undefined
  do {
    const page = await parts.registry.query(compileQuery({ allVersions: true, sort: { field: 'key' }, limit: 500, cursor }), readScope(actor))
    yield* page.items
    cursor = page.nextCursor
  } while (cursor)
}

export async function verifyContent(parts: ManagerParts, actor: Actor, records: AssetRecord[] | undefined, options: VerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { checked: 0, ok: 0, problems: [] }
  const all = records ?? readableVersions(parts, actor)
  for await (const record of all) {
    if (record.deletedAt) continue
    const problems = await verifyRecord(parts, record, options, { actor: `user:${actor.user}` })
    report.checked++
    if (problems.length === 0) report.ok++
    report.problems.push(...problems)
  }
  return report
}

/** Locations every registered version needs: its blob or manifest, and a manifest's files. */
async function referencedLocations(parts: ManagerParts): Promise<Set<string>> {
  const keep = new Set<string>()
  for await (const ref of parts.registry.referencedLocations()) {
    keep.add(ref.location)
    if (ref.type === 'folder') {
      // A manifest that cannot be read stops gc: guessing "no files" would delete a folder's content.
      const digest = `sha256:${ref.location.split('/').at(-1)}` as ContentDigest
      const manifest = await readManifest(parts.storage, ref.location, digest)
      for (const f of manifest.files) keep.add(blobLocation(f.digest))
    }
  }
  return keep
}

/**
 * Removes expired temporary versions (a dry run lists them but still counts their content as
 * referenced), then every stored object no version refers to and
 * abandoned staging uploads, leaving alone anything younger than the grace period.
 */
export async function collectGarbage(parts: ManagerParts, actor: Actor, options: GcOptions = {}): Promise<GcReport> {
  const { storage, registry } = parts
  if (!storage.capabilities.list || !storage.capabilities.delete) {
    throw new UnsupportedOperationError(`storage "${storage.name}" cannot list and delete, so gc cannot run on it`)
  }
  const dryRun = options.dryRun ?? false
  const now = options.now ?? new Date()
  const context = { actor: `user:${actor.user}` }
  const report: GcReport = { dryRun, purgedVersions: [], removedObjects: [], freedBytes: 0 }
  for (const record of await registry.expired(now)) {
    report.purgedVersions.push({ key: record.key, version: record.version })
    if (!dryRun) await registry.purge(record.key, record.version, context)
  }
  const cutoff = now.getTime() - (options.graceSeconds ?? 3600) * 1000
  // An object of unknown age may be an upload in flight: only objects known to be old go.
  const isOld = (o: { lastModified?: Date }) => o.lastModified !== undefined && o.lastModified.getTime() <= cutoff
  const candidates = new Map<string, StorageObjectInfo>()
  for (const prefix of [BLOB_PREFIX, STAGING_PREFIX]) {
    for await (const object of storage.list(prefix)) if (isOld(object)) candidates.set(object.location, object)
  }
  // Claimed before the registry is read (see ContentLease): a put that registers after this
  // point held its content first, so either its hold kept the location out of the claim, or
  // the claim made it wait and store the content again once gc is done.
  const lease = new ContentLease(registry, 'gc')
  // A backend's temporary object (an upload in flight, or one a killed process left) is
  // protected by the hold on the object it is written for; a folder put's staging objects by
  // its one hold on their prefix.
  const leaseOf = (location: string) => stagingLeaseOf(temporaryPathOwner(location) ?? location)
  try {
    const owners = [...new Set([...candidates.keys()].map(leaseOf))]
    const claimed = new Set(dryRun ? owners : await lease.claim(owners))
    const keep = await referencedLocations(parts)
    const done: string[] = []
    for (const [location, object] of candidates) {
      if (!claimed.has(leaseOf(location)) || keep.has(location)) continue
      if (!dryRun) {
        // Re-checked just before deleting: an object rewritten since it was listed stays.
        const current = await storage.stat(location)
        if (!current || !isOld(current)) continue
        await storage.delete(location)
        // Released as it goes, so that a put waiting on one of them does not wait for the rest.
        done.push(leaseOf(location))
        if (done.length >= 100) await lease.release(done.splice(0))
      }
      report.removedObjects.push(location)
      report.freedBytes += object.size
    }
  } finally {
    lease.stop()
    if (!dryRun) await lease.release()
  }
  if (!dryRun && storage.abortStaleUploads) {
    // Parts of crashed or abandoned uploads are invisible to list() but still stored (and billed).
    report.abortedUploads = (await storage.abortStaleUploads(new Date(cutoff))).map((u) => u.location)
  }
  if (!dryRun) {
    await registry.recordAudit({
      actor: context.actor,
      action: 'gc',
      details: { removedObjects: report.removedObjects.length, freedBytes: report.freedBytes, purgedVersions: report.purgedVersions.length },
    })
  }
  return report
}
