import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import {
  BackendUnavailableError,
  type ContentDigest,
  fsyncDirectory,
  IntegrityError,
  InvalidInputError,
  type TransferProgress,
  withRetry,
} from '@assets/core'
import { type ListFileEntry, listFiles } from '@huggingface/hub'
import { downloadHubFile } from './file-download.js'
import { checkAgainstHub, FileDigests, hashPrefix, partialSize } from './file-transfer.js'
import { hubRead } from './hub-request.js'
import type { HubTarget } from './hub-target.js'
import { checkRepoPath } from './repo-path.js'
import { type RevisionResolver, versionFromRevision } from './revision-version.js'

export interface RepositoryDownloadOptions {
  /** Branch, tag or commit (default the storage's revision). */
  revision?: string
  /** Files fetched at once (default 4). */
  concurrency?: number
  signal?: AbortSignal
  /** Bytes received so far over all files, against the repository's total size. */
  onProgress?: (progress: TransferProgress) => void
}

/** One file of a downloaded repository: a folder-manifest entry. */
export interface RepositoryFile {
  path: string
  size: number
  digest: ContentDigest
}

export interface RepositoryDownload {
  repo: string
  revision: string
  /** The commit the revision pointed at; every file was read at this commit. */
  commit: string
  /** The asset version the revision names, when it is a version tag (`v1.2.0` → `1.2.0`). */
  version?: string
  /** Sorted by path, as a folder manifest is. */
  files: RepositoryFile[]
}

/**
 * Downloads a whole repository at one commit. Files land in `<destDir>.partial` first, each
 * resumed from what an earlier attempt left there and checked against the hub's digest (sha256
 * for LFS files, the git blob id for the rest); the folder is renamed to `destDir` only once every
 * file is verified, so `destDir` never holds a partial or corrupt repository.
 */
export async function downloadRepository(
  target: HubTarget,
  revisions: RevisionResolver,
  destDir: string,
  options: RepositoryDownloadOptions = {},
): Promise<RepositoryDownload> {
  const revision = options.revision ?? target.revision
  const destination = resolve(destDir)
  await checkDestination(destination)
  options.signal?.throwIfAborted()
  const commit = await revisions.commitOf(revision, options.signal)
  const entries = await hubRead(target, { what: 'listing of the repository', revision }, async () => {
    const found: ListFileEntry[] = []
    for await (const entry of listFiles({
      repo: { type: target.type, name: target.id },
      hubUrl: target.hubUrl,
      accessToken: target.token,
      recursive: true,
      revision: commit,
    })) {
      if (entry.type === 'file') found.push({ ...entry, path: checkRepoPath(entry.path, 'file path') })
    }
    return found
  })
  const staging = `${destination}.partial`
  await mkdir(staging, { recursive: true })
  const total = entries.reduce((sum, entry) => sum + entry.size, 0)
  const received = new Map<string, number>()
  const report = (path: string, bytes: number): void => {
    received.set(path, bytes)
    let sum = 0
    for (const value of received.values()) sum += value
    options.onProgress?.({ bytes: sum, total })
  }
  const files = await inPool(entries, options.concurrency ?? 4, options.signal, (entry, signal) =>
    fetchEntry(target, commit, entry, staging, signal, report),
  )
  // The staging folder may hold files of an earlier attempt at another commit: only this
  // commit's files, each verified above, may reach the destination.
  await removeOthers(staging, new Set(entries.map((entry) => entry.path)))
  await moveIntoPlace(staging, destination)
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { repo: target.id, revision, commit, version: versionFromRevision(revision), files }
}

async function fetchEntry(
  target: HubTarget,
  commit: string,
  entry: ListFileEntry,
  staging: string,
  signal: AbortSignal | undefined,
  report: (path: string, bytes: number) => void,
): Promise<RepositoryFile> {
  const dest = join(staging, ...entry.path.split('/'))
  const what = `huggingface: download of ${entry.path} from ${target.id} at ${commit}`
  const expected = { size: entry.size, sha256: entry.lfs?.oid, gitBlobId: entry.lfs === undefined ? entry.oid : undefined }
  const kept = await verifiedCopy(dest, expected, what, signal)
  if (kept !== undefined) {
    report(entry.path, entry.size)
    return { path: entry.path, size: entry.size, digest: kept }
  }
  let resumedFrom = 0
  return withRetry(
    async () => {
      resumedFrom = await partialSize(dest)
      const result = await downloadHubFile(target, entry.path, dest, {
        revision: commit,
        resume: true,
        verify: 'always',
        expected,
        signal,
        onProgress: (p) => report(entry.path, resumedFrom + p.bytes),
      })
      return { path: entry.path, size: result.size, digest: result.digest }
    },
    {
      attempts: 4,
      baseDelayMs: 200,
      signal,
      // A cut connection resumes where it stopped; a resumed file that fails the check was
      // removed and is fetched once more from the start. A fresh file that fails is corrupt at the source.
      retryable: (error) => BackendUnavailableError.isInstance(error) || (IntegrityError.isInstance(error) && resumedFrom > 0),
    },
  )
}

/** The digest of a file a previous run finished, when it still matches the hub; otherwise it is removed. */
async function verifiedCopy(
  dest: string,
  expected: { size: number; sha256?: string; gitBlobId?: string },
  what: string,
  signal: AbortSignal | undefined,
): Promise<ContentDigest | undefined> {
  const info = await stat(dest).catch(() => undefined)
  if (info?.isFile() !== true || info.size !== expected.size) return undefined
  const digests = new FileDigests(expected.gitBlobId === undefined ? undefined : expected.size)
  await hashPrefix(dest, info.size, digests, signal)
  const actual = { size: info.size, ...digests.finish() }
  try {
    checkAgainstHub(what, expected, actual)
    return actual.digest
  } catch {
    await rm(dest, { force: true })
    return undefined
  }
}

async function checkDestination(destination: string): Promise<void> {
  const info = await stat(destination).catch(() => undefined)
  if (info === undefined) return
  if (!info.isDirectory() || (await readdir(destination)).length > 0) {
    throw new InvalidInputError(`huggingface: cannot download a repository into ${destination}: it exists and is not an empty folder`)
  }
}

async function removeOthers(staging: string, keep: Set<string>): Promise<void> {
  for (const entry of await readdir(staging, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) continue
    const path = join(entry.parentPath ?? entry.path, entry.name)
    const relative = path.slice(staging.length + 1).split(sep).join('/')
    if (!keep.has(relative)) await rm(path, { force: true })
  }
}

async function moveIntoPlace(staging: string, destination: string): Promise<void> {
  await rmdir(destination).catch(() => {})
  await rename(staging, destination)
  await fsyncDirectory(dirname(destination))
}

/**
 * Runs `work` over `items` with at most `limit` at once. The first failure stops the rest (their
 * partial files stay for a later resume) and is thrown once every worker has stopped, so no
 * download keeps writing after the call has failed.
 */
async function inPool<T, R>(items: T[], limit: number, signal: AbortSignal | undefined, work: (item: T, signal: AbortSignal) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  const stop = new AbortController()
  const onAbort = (): void => stop.abort(signal?.reason)
  signal?.addEventListener('abort', onAbort, { once: true })
  let failure: { error: unknown } | undefined
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop.signal.aborted) {
      const item = items[next++] as T
      try {
        results.push(await work(item, stop.signal))
      } catch (error) {
        failure ??= { error }
        stop.abort()
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
  if (failure !== undefined) throw failure.error
  signal?.throwIfAborted()
  return results
}
