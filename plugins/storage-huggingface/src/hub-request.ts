import { withRetry } from '@assets/core'
import { type FailureScope, hubHttpError, isRetryableHubError, toAssetError } from './hub-errors.js'
import { authorization, type HubTarget } from './hub-target.js'

/** Idempotent hub calls are retried on dropped connections, throttling and server errors. */
export const READ_RETRY = { attempts: 4, baseDelayMs: 250, maxDelayMs: 4000, retryable: isRetryableHubError }

/** Runs a read against the hub with retries, and maps its failure to core's errors. */
export async function hubRead<T>(target: HubTarget, scope: FailureScope, operation: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await withRetry(operation, { ...READ_RETRY, signal })
  } catch (error) {
    throw toAssetError(target, scope, error)
  }
}

/** GET or POST a JSON endpoint of the hub API with the token, failing with a HubHttpError. */
export async function hubJson<T>(target: HubTarget, url: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      Accept: 'application/json',
      ...authorization(target),
      ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  })
  if (!response.ok) throw await hubHttpError(response)
  return (await response.json()) as T
}
