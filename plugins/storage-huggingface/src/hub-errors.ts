import {
  AccessDeniedError,
  AssetError,
  BackendUnavailableError,
  InvalidInputError,
  isRetryableStatus,
  isTransientNetworkError,
  NotFoundError,
  redactUrl,
  VersionConflictError,
} from '@assets/core'
import { HubApiError } from '@huggingface/hub'
import { describeTarget, type HubTarget } from './hub-target.js'

/** A non-2xx answer from the hub to one of our own requests, with the hub's X-Error-Code. */
export class HubHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string | undefined,
    message: string,
  ) {
    super(message)
    this.name = 'HubHttpError'
  }
}

export async function hubHttpError(response: Response): Promise<HubHttpError> {
  const text = await response.text().catch(() => '')
  let message = response.headers.get('X-Error-Message') ?? ''
  if (message === '') {
    try {
      message = String((JSON.parse(text) as { error?: unknown }).error ?? '')
    } catch {
      message = text.slice(0, 200)
    }
  }
  return new HubHttpError(response.status, response.headers.get('X-Error-Code') ?? undefined, message)
}

function statusOf(error: unknown): { status: number; code?: string; message: string } | undefined {
  if (error instanceof HubHttpError) return { status: error.status, code: error.errorCode, message: error.message }
  if (error instanceof HubApiError) return { status: error.statusCode, message: error.message }
  return undefined
}

/** Worth another try: a dropped connection, throttling or a server error. */
export function isRetryableHubError(error: unknown): boolean {
  const failure = statusOf(error)
  return failure === undefined ? isTransientNetworkError(error) : isRetryableStatus(failure.status)
}

/** The hub said the file (or folder) is not at that path, as opposed to the repository or revision being missing. */
export function isMissingEntry(error: unknown): boolean {
  const failure = statusOf(error)
  if (failure === undefined || failure.status !== 404) return false
  return failure.code === 'EntryNotFound' || (failure.code === undefined && /entry not found/i.test(failure.message))
}

export interface FailureScope {
  /** What was attempted: `download of weights/model.bin`. */
  what: string
  revision?: string
}

/**
 * Turns whatever a hub call threw into one of core's errors. The message names the plugin, the
 * operation, the repository and the revision; the token never appears (it is only ever sent in a
 * header) and the hub's own answer stays in `cause`.
 */
export function toAssetError(target: HubTarget, scope: FailureScope, error: unknown): unknown {
  if (AssetError.isInstance(error)) return error
  if (error instanceof Error && error.name === 'AbortError') return error
  // The hub's answer may quote a presigned LFS URL, and an endpoint may carry a query: both are
  // shown without their secrets.
  const hub = redactUrl(target.hubUrl)
  const where = `huggingface: ${scope.what} in ${describeTarget(target, scope.revision)} (${hub})`
  const failure = statusOf(error)
  if (failure === undefined) {
    if (error instanceof Error && error.name === 'TimeoutError') return new BackendUnavailableError('huggingface', `${scope.what}: timed out`, { cause: error })
    return new BackendUnavailableError('huggingface', `${scope.what} in ${describeTarget(target, scope.revision)}: the connection to ${hub} failed`, {
      cause: error,
    })
  }
  const { status, code } = failure
  const message = redactUrl(failure.message)
  const options = { cause: error }
  const kind = code ?? guessCode(status, message)
  const tokenHint = target.token === undefined ? 'no token is configured (set HF_TOKEN or the token option)' : 'the configured token'
  switch (kind) {
    case 'GatedRepo':
      return new AccessDeniedError(
        target.token === undefined
          ? `${where}: the repository is gated; request access at ${repoPage(target)} and set HF_TOKEN (or the token option) to a token of a user who has it`
          : `${where}: the repository is gated and the token's user has not been granted access; request it at ${repoPage(target)}`,
        options,
      )
    case 'RepoNotFound':
      return status === 401 && target.token === undefined
        ? new AccessDeniedError(`${where}: the repository does not exist or is private, and ${tokenHint}`, options)
        : new NotFoundError(`${where}: the repository does not exist or ${tokenHint} cannot see it`, options)
    case 'RevisionNotFound':
      return new NotFoundError(`${where}: revision ${scope.revision ?? target.revision} does not exist`, options)
    case 'EntryNotFound':
      return new NotFoundError(`${where}: no such file`, options)
  }
  if (status === 401) return new AccessDeniedError(`${where}: the hub refused ${tokenHint} (401)`, options)
  if (status === 403) return new AccessDeniedError(`${where}: forbidden for ${tokenHint} (403; writes need a token with write access)`, options)
  if (status === 404) return new NotFoundError(`${where}: not found (404)`, options)
  if (status === 409 || status === 412) return new VersionConflictError(`${where}: conflict (${status}): ${message.slice(0, 200)}`, options)
  if (isRetryableStatus(status)) return new BackendUnavailableError('huggingface', `${scope.what}: the hub answered ${status}`, options)
  return new InvalidInputError(`${where}: the hub refused the request (${status}): ${message.slice(0, 200)}`, options)
}

// Calls made through @huggingface/hub lose the X-Error-Code header; the hub's messages are stable enough to read.
function guessCode(status: number, message: string): string | undefined {
  if (/gated|restricted/i.test(message) && (status === 401 || status === 403)) return 'GatedRepo'
  if (/invalid rev id|revision not found/i.test(message)) return 'RevisionNotFound'
  if (/entry not found/i.test(message)) return 'EntryNotFound'
  if (/repository not found/i.test(message)) return 'RepoNotFound'
  return undefined
}

function repoPage(target: HubTarget): string {
  return `${redactUrl(target.hubUrl)}/${target.type === 'model' ? '' : `${target.type}s/`}${target.id}`
}
