import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkEndpoint, ConfigInvalidError } from '@assets/core'
import type { HubRangeSettings } from './file-download.js'
import { DEFAULT_ENDPOINT, DEFAULT_RANGE_CONCURRENCY, DEFAULT_RANGE_SIZE, type HuggingFaceStorageOptions, type RepoType } from './hf-options.js'

/** Where a storage points: one repository on one hub, read at one revision. Never printed whole: it holds the token. */
export interface HubTarget {
  type: RepoType
  id: string
  /** Hub URL without a trailing slash; safe to show (checkEndpoint refuses user info). */
  hubUrl: string
  token?: string
  revision: string
  /** How large LFS files are fetched from the CDN: in parallel ranges. */
  ranges: HubRangeSettings
}

export interface HubContext {
  /** ALLOW_INSECURE_STORAGE: plain http:// endpoints (a local hub in tests) are allowed. */
  allowInsecureStorage?: boolean
  /** Where HF_ENDPOINT is read from when `endpoint` is not set. */
  env?: Record<string, string | undefined>
  /** The cache folder: range journals go under it unless journalDir is set. */
  cacheDir?: string
}

const REPO_ID = /^(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/

/** Checks the options without I/O; every problem is a ConfigInvalidError naming the option, never its secret value. */
export function hubTarget(options: HuggingFaceStorageOptions, context: HubContext = {}): HubTarget {
  const problems: Array<{ field: string; message: string }> = []
  if (typeof options?.repo !== 'string' || !REPO_ID.test(options.repo) || options.repo.includes('..')) {
    problems.push({ field: 'huggingface.repo', message: 'must be a repository id like `namespace/name`' })
  }
  const type = options?.repoType ?? 'model'
  if (!['model', 'dataset', 'space'].includes(type)) problems.push({ field: 'huggingface.repoType', message: 'must be model, dataset or space' })
  const revision = options?.revision ?? 'main'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (revision === '' || /[\s\u0000-\u001f]|\.\./.test(revision)) {
    problems.push({ field: 'huggingface.revision', message: 'must be a branch, tag or commit sha' })
  }
  const token = options?.token === '' ? undefined : options?.token
  // The client refuses other tokens with a TypeError that would surface far from the config.
  if (token !== undefined && !token.startsWith('hf_')) {
    problems.push({ field: 'huggingface.token', message: 'must be a Hugging Face access token (they start with hf_); check HF_TOKEN' })
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems)
  const endpoint = options.endpoint ?? context.env?.HF_ENDPOINT ?? DEFAULT_ENDPOINT
  const url = checkEndpoint('huggingface', 'endpoint', endpoint, context.allowInsecureStorage === true)
  const ranges = {
    rangeSize: options.rangeSize ?? DEFAULT_RANGE_SIZE,
    concurrency: options.rangeConcurrency ?? DEFAULT_RANGE_CONCURRENCY,
    journalDir: options.journalDir ?? join(context.cacheDir ?? join(tmpdir(), 'assets-cache'), 'hf-journals'),
  }
  return { type, id: options.repo, hubUrl: url.href.replace(/\/+$/, ''), token, revision, ranges }
}

/** `model acme/weights at revision main`: how messages name what was touched. */
export function describeTarget(target: HubTarget, revision = target.revision): string {
  return `${target.type} ${target.id} at revision ${revision}`
}

export function apiUrl(target: HubTarget, suffix: string): string {
  return `${target.hubUrl}/api/${target.type}s/${target.id}${suffix}`
}

/** The file URL the hub redirects to its CDN for LFS files: `/{id}/resolve/{rev}/{path}` (datasets/ and spaces/ prefixed). */
export function resolveUrl(target: HubTarget, revision: string, path: string): string {
  const prefix = target.type === 'model' ? '' : `${target.type}s/`
  const encodedPath = path.split('/').map(encodeURIComponent).join('/')
  return `${target.hubUrl}/${prefix}${target.id}/resolve/${encodeURIComponent(revision)}/${encodedPath}`
}

export function authorization(target: HubTarget): Record<string, string> {
  return target.token === undefined ? {} : { Authorization: `Bearer ${target.token}` }
}

/** A 40-hex revision is a commit: the hub cannot commit onto it. */
export function isCommitSha(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision)
}
