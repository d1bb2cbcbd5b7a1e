import { AssetError, type AssetErrorCode } from '@assets/core'
import { expect } from 'vitest'

/** The error `action` throws or rejects with; fails the test when it succeeds. */
export async function failureOf(action: () => unknown): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected the operation to fail, but it succeeded')
}

/** The stable code of an AssetError, else a description of what was thrown, so a mismatch shows what happened. */
export function codeOf(error: unknown): string {
  if (AssetError.isInstance(error)) return error.code
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return String(error)
}

/** Asserts that `action` fails with an AssetError of `code` (by code, so two copies of core still match). */
export async function expectFailure(action: () => unknown, code: AssetErrorCode): Promise<unknown> {
  const error = await failureOf(action)
  expect(codeOf(error)).toBe(code)
  return error
}

/** Asserts that `action` was stopped by its AbortSignal. */
export async function expectAborted(action: () => unknown): Promise<void> {
  const error = await failureOf(action)
  expect(error instanceof Error ? error.name : String(error)).toBe('AbortError')
}
