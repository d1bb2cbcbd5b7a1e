import { rm } from 'node:fs/promises'
import { type ContentDigest, rangedDownload, type TransferProgress } from '@assets/core'
import { CdnConnections } from './cdn-range.js'
import { checkAgainstHub, digestsFor, hashPrefix, partialSize, writeBody } from './file-transfer.js'
import { toAssetError } from './hub-errors.js'
import { hubRead } from './hub-request.js'
import type { HubTarget } from './hub-target.js'
import { type ResolvedFile, requestResolve } from './resolve-request.js'

export interface HubFileDownloadOptions {
  revision: string
  /** Continue a partial destination with a Range request. */
  resume: boolean
  /**
   * `fresh`: check against the hub's digest only when every byte came from the hub in this call
   * (a resumed file's old bytes are the caller's to check); `always`: check the whole file.
   */
  verify: 'fresh' | 'always'
  /** What the tree listing said, used instead of the response headers when given. */
  expected?: { sha256?: string; gitBlobId?: string; size?: number }
  signal?: AbortSignal
  onProgress?: (progress: TransferProgress) => void
}

export interface HubRangeSettings {
  rangeSize: number
  concurrency: number
  /** Where range journals are kept (what a crashed download resumes from). */
  journalDir: string
}

export interface HubFileDownload {
  size: number
  digest: ContentDigest
  /** Bytes already in the partial file that were kept. */
  resumedFrom: number
  commit?: string
}

/**
 * Downloads one file of the repository into `destPath`: resumed with a Range when asked, hashed
 * while written (the kept prefix included), and checked against the hub's own digest. A file
 * that fails the check is removed, so nothing corrupt is left behind.
 */
export async function downloadHubFile(target: HubTarget, path: string, destPath: string, options: HubFileDownloadOptions): Promise<HubFileDownload> {
  const scope = { what: `download of ${path}`, revision: options.revision }
  // LFS files larger than one range are fetched from the CDN in parallel ranges (core's
  // rangedDownload, as hf_transfer does); smaller files and regular files come as one stream.
  const { ranges } = target
  // A large LFS file stops at the hub's redirect: its CDN URL is then read in parallel ranges.
  const followLfs = (lfs: { size?: number }) => lfs.size === undefined || lfs.size <= ranges.rangeSize
  const resolve = (start: number): Promise<ResolvedFile> =>
    hubRead(
      target,
      scope,
      () => requestResolve(target, options.revision, path, { range: start > 0 ? { start } : undefined, signal: options.signal, followLfs }),
      options.signal,
    )
  let offset = options.resume ? await partialSize(destPath) : 0
  let resolved = await resolve(offset)
  if (resolved.cdnUrl !== undefined) return rangedHubFile(target, path, destPath, resolved, resolved.cdnUrl, ranges, options)
  // 416: the partial file is as long as the object or longer, so it is not a prefix of it.
  // 200 to a ranged request: the server ignored the range. Both start over.
  if (resolved.response.status === 416 || (offset > 0 && resolved.response.status === 200)) {
    await resolved.response.body?.cancel()
    offset = 0
    if (resolved.response.status === 416) resolved = await resolve(0)
  }
  const digests = digestsFor(resolved)
  let written: number
  try {
    await hashPrefix(destPath, offset, digests, options.signal)
    const total = resolved.totalSize === undefined ? undefined : resolved.totalSize - offset
    written = await writeBody(resolved.response, destPath, { append: offset > 0, digests, total, signal: options.signal, onProgress: options.onProgress })
  } catch (error) {
    throw toAssetError(target, scope, error)
  }
  const result = { size: offset + written, ...digests.finish() }
  if (options.verify === 'always' || offset === 0) {
    const expected = {
      sha256: options.expected?.sha256 ?? (resolved.lfs ? resolved.etag : undefined),
      gitBlobId: options.expected?.gitBlobId ?? (resolved.lfs ? undefined : resolved.etag),
      size: options.expected?.size ?? resolved.totalSize,
    }
    try {
      checkAgainstHub(`huggingface: download of ${path} from ${target.id} at ${options.revision}`, expected, result)
    } catch (error) {
      await rm(destPath, { force: true })
      throw error
    }
  }
  return { size: result.size, digest: result.digest, resumedFrom: offset, commit: resolved.commit }
}

/** An LFS file in parallel ranges from the CDN, journalled, hashed on a worker, checked against the hub's sha256. */
async function rangedHubFile(
  target: HubTarget,
  path: string,
  destPath: string,
  resolved: ResolvedFile,
  cdnUrl: URL,
  ranges: HubRangeSettings,
  options: HubFileDownloadOptions,
): Promise<HubFileDownload> {
  const scope = { what: `download of ${path}`, revision: options.revision }
  const sha256 = options.expected?.sha256 ?? resolved.etag
  const size = options.expected?.size ?? resolved.totalSize
  let result: Awaited<ReturnType<typeof rangedDownload>>
  const cdn = new CdnConnections(cdnUrl, ranges.concurrency)
  try {
    result = await rangedDownload(
      // The CDN URL is presigned and changes; the object is named by where it is in the hub.
      { name: `${target.id}/${path} at ${options.revision}`, size, version: sha256, ranges: true },
      (start, end, signal) => cdn.read(start, end, signal),
      destPath,
      { rangeSize: ranges.rangeSize, concurrency: ranges.concurrency, journalDir: ranges.journalDir, fsync: true, label: 'huggingface' },
      { resume: options.resume, signal: options.signal, onProgress: options.onProgress },
    )
  } catch (error) {
    throw toAssetError(target, scope, error)
  } finally {
    cdn.close()
  }
  if (options.verify === 'always' || result.fresh) {
    try {
      checkAgainstHub(`huggingface: download of ${path} from ${target.id} at ${options.revision}`, { sha256, size }, result)
    } catch (error) {
      await rm(destPath, { force: true })
      throw error
    }
  }
  return { size: result.size, digest: result.digest, resumedFrom: result.size - result.fetched, commit: resolved.commit }
}
