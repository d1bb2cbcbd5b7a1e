import { openAsBlob } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  assertDigest,
  copyHashing,
  hashFile,
  IntegrityError,
  InvalidInputError,
  type StorageObjectInfo,
  UnsupportedOperationError,
  type UploadOptions,
  type UploadResult,
} from '@assets/core'
import { type CommitOperation, commit } from '@huggingface/hub'
import { isMissingEntry, toAssetError } from './hub-errors.js'
import { hubJson } from './hub-request.js'
import { apiUrl, describeTarget, type HubTarget } from './hub-target.js'
import type { RevisionResolver, RevisionTag } from './revision-version.js'

/**
 * Writes to the repository, each as one commit on the configured branch through the client's
 * commit (preupload, LFS batch upload for large or binary files, NDJSON commit). A storage that
 * cannot write refuses with UnsupportedOperationError before touching the hub.
 */
export class RepoWriter {
  constructor(
    private readonly target: HubTarget,
    private readonly revisions: RevisionResolver,
    private readonly readOnlyBecause: string | undefined,
  ) {}

  async upload(location: string, source: string | AsyncIterable<Uint8Array>, options: UploadOptions): Promise<UploadResult> {
    this.assertWritable(`upload to ${location}`)
    options.signal?.throwIfAborted()
    // A stream is staged in a local file first: the digest must be checked before the commit
    // makes the bytes visible, and the client needs a Blob it can read twice (hash, then send).
    const staging = typeof source === 'string' ? undefined : await mkdtemp(join(tmpdir(), 'assets-hf-upload-'))
    try {
      const file = staging === undefined ? await sourceFile(source as string) : join(staging, 'content')
      const written =
        staging === undefined
          ? await hashFile(file, { signal: options.signal })
          : await copyHashing(source as AsyncIterable<Uint8Array>, file, { signal: options.signal, onProgress: options.onProgress, total: options.size })
      checkWritten(location, written, options)
      await this.revisions.assertBranch()
      const operations: CommitOperation[] = [{ operation: 'addOrUpdate', path: location, content: await openAsBlob(file) }]
      const oid = await this.commit(`Upload ${location}`, operations, `upload to ${location}`, options.signal)
      options.onProgress?.({ bytes: written.size, total: written.size })
      return { location, size: written.size, digest: written.digest, versionId: oid }
    } finally {
      if (staging !== undefined) await rm(staging, { recursive: true, force: true })
    }
  }

  async delete(location: string, exists: () => Promise<StorageObjectInfo | null>): Promise<void> {
    this.assertWritable(`delete ${location}`)
    if ((await exists()) === null) return
    await this.revisions.assertBranch()
    try {
      await this.commit(`Delete ${location}`, [{ operation: 'delete', path: location }], `delete of ${location}`)
    } catch (error) {
      // Deleted by someone else in the meantime: the outcome asked for.
      if (!isMissingEntry((error as { cause?: unknown }).cause)) throw error
    }
  }

  /** Creates `tag` at the commit `options.revision` (default the configured one) points at. */
  async tag(tag: string, options: { revision?: string; message?: string; signal?: AbortSignal }): Promise<RevisionTag> {
    if (this.target.token === undefined) {
      throw new UnsupportedOperationError(`huggingface: cannot tag ${describeTarget(this.target)}: no token is configured (set HF_TOKEN or the token option)`)
    }
    const revision = options.revision ?? this.target.revision
    const commit = await this.revisions.commitOf(revision, options.signal)
    try {
      await hubJson(this.target, apiUrl(this.target, `/tag/${encodeURIComponent(commit)}`), {
        method: 'POST',
        body: { tag, message: options.message ?? `Version ${tag}` },
        signal: options.signal,
      })
    } catch (error) {
      throw toAssetError(this.target, { what: `tagging ${tag}`, revision }, error)
    }
    return { tag, commit }
  }

  private assertWritable(what: string): void {
    if (this.readOnlyBecause !== undefined) {
      throw new UnsupportedOperationError(`huggingface: cannot ${what} in ${describeTarget(this.target)}: ${this.readOnlyBecause}`)
    }
  }

  private async commit(title: string, operations: CommitOperation[], what: string, signal?: AbortSignal): Promise<string> {
    try {
      const output = await commit({
        repo: { type: this.target.type, name: this.target.id },
        hubUrl: this.target.hubUrl,
        accessToken: this.target.token,
        branch: this.target.revision,
        title,
        operations,
        abortSignal: signal,
        // Plain git-LFS transfers (basic PUT to the presigned URL the batch API hands out), which
        // every hub deployment accepts and the tests exercise end to end.
        useXet: false,
      })
      if (output === undefined) throw new Error('the hub returned no commit')
      return output.commit.oid
    } catch (error) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : error
      throw toAssetError(this.target, { what }, error)
    }
  }
}

async function sourceFile(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined)
  if (info?.isFile() !== true) throw new InvalidInputError(`huggingface: upload source ${path} is not a readable file`)
  return path
}

function checkWritten(location: string, written: { digest: string; size: number }, expected: UploadOptions): void {
  if (expected.digest !== undefined) {
    assertDigest(`huggingface: upload to ${location}`, written, { digest: expected.digest, size: expected.size })
  } else if (expected.size !== undefined && written.size !== expected.size) {
    throw new IntegrityError(`huggingface: upload to ${location}: expected ${expected.size} bytes, got ${written.size}`)
  }
}
