import { isVersion, normalizeVersion, NotFoundError, UnsupportedOperationError } from '@assets/core'
import { hubJson, hubRead } from './hub-request.js'
import { apiUrl, describeTarget, type HubTarget, isCommitSha } from './hub-target.js'

/**
 * Our versions and the hub's revisions: version `1.2.0` of an asset is the hub tag `v1.2.0`, a
 * fixed commit; a branch (`main`) is the moving head that uploads commit to.
 */
export function versionTag(version: string): string {
  return `v${normalizeVersion(version)}`
}

/** The version a tag stands for (`v1.2.0` → `1.2.0`), undefined for branches, commits and other tags. */
export function versionFromRevision(revision: string): string | undefined {
  if (isCommitSha(revision) || !isVersion(revision)) return undefined
  return normalizeVersion(revision)
}

export interface RevisionTag {
  tag: string
  commit: string
}

interface HubRef {
  name: string
  targetCommit: string
}

interface HubRefs {
  branches: HubRef[]
  tags: HubRef[]
}

/** Answers what a revision is and where it points, asking the hub. */
export class RevisionResolver {
  private branchCheck: Promise<void> | undefined

  constructor(private readonly target: HubTarget) {}

  /** The commit sha `revision` points at now (`GET /api/{type}s/{id}/revision/{revision}`). */
  async commitOf(revision: string, signal?: AbortSignal): Promise<string> {
    if (isCommitSha(revision)) return revision
    const info = await hubRead(
      this.target,
      { what: `look-up of revision ${revision}`, revision },
      () => hubJson<{ sha?: string }>(this.target, apiUrl(this.target, `/revision/${encodeURIComponent(revision)}`), { signal }),
      signal,
    )
    if (typeof info.sha !== 'string') throw new NotFoundError(`huggingface: ${describeTarget(this.target, revision)}: the hub gave no commit for it`)
    return info.sha
  }

  /** Refuses writes unless the configured revision is a branch; asked once per storage. */
  assertBranch(): Promise<void> {
    this.branchCheck ??= this.checkBranch().catch((error: unknown) => {
      this.branchCheck = undefined
      throw error
    })
    return this.branchCheck
  }

  private async checkBranch(): Promise<void> {
    const { revision } = this.target
    const refs = await hubRead(this.target, { what: 'look-up of branches and tags' }, () => hubJson<HubRefs>(this.target, apiUrl(this.target, '/refs')))
    if (refs.branches.some((b) => b.name === revision)) return
    if (refs.tags.some((t) => t.name === revision)) {
      throw new UnsupportedOperationError(`huggingface: cannot write to ${describeTarget(this.target)}: ${revision} is a tag; writes need a branch`)
    }
    throw new NotFoundError(`huggingface: ${describeTarget(this.target)}: revision ${revision} is not a branch of the repository`)
  }
}
