import {
  type AccessControl,
  type AssetErrorCode,
  hasErrorCode,
  type Registry,
} from '@assets/core'
import type { ExpectStatic } from 'vitest'
import { SUITE_OWNER, scopeOf } from './record-fixtures.js'

export interface SuiteContext {
  registry: Registry
  expect: ExpectStatic
  /** A key no other test uses. */
  key(): string
  /** A second registry on the same backend (another worker), closed with the test. */
  another(): Promise<Registry>
}

export type Define = (name: string, body: (t: SuiteContext) => Promise<void>) => void

export const ACTOR = `user:${SUITE_OWNER.user}`
export const EVERYONE = scopeOf({ user: 'suite-reader' })
export const PRIVATE_TO_ALICE: AccessControl = { owner: 'user:alice', read: [], write: [], admin: [] }

/**
 * The behaviour every Registry must have, whatever its backend. Each test opens a registry with
 * `create()`, uses keys no other test uses (so one backend can serve every test, and several
 * runs at once), and closes it. Query tests scope themselves with a random `keyPrefix`.
 */

/** Awaits a rejection and checks its stable code, whichever copy of core made the error. */
export async function rejection(expect: ExpectStatic, promise: Promise<unknown>, code: AssetErrorCode): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(hasErrorCode(error, code), `expected an error with code ${code}, got ${String(error)}`).toBe(true)
  return error as Error
}
