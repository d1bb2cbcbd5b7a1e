import { inspect } from 'node:util'
import type { ExpectStatic } from 'vitest'
import type { SqlServerFixture, SqlServerNamespace } from './sql-server-fixture.js'

export interface SqlServerContext<O> {
  fixture: SqlServerFixture<O>
  /** This test's fresh namespace. */
  namespace: SqlServerNamespace<O>
  expect: ExpectStatic
}

/** Defines one test in a fresh namespace named after `label`. */
export type SqlServerDefine<O> = (name: string, label: string, body: (t: SqlServerContext<O>) => Promise<void>) => void

/** A password no server has: it must never show in an error, whatever the error's form. */
export const SECRET_PASSWORD = 'Pa55-w0rd-that-must-never-show'

export const ACTOR = { actor: 'user:tester' }

/** Checks every form of `error` a log might print (message, stack, JSON, inspect) for each password. */
export function expectNoPassword(expect: ExpectStatic, error: unknown, passwords: string[] = [SECRET_PASSWORD]): void {
  const texts = [String((error as Error).message), String((error as Error).stack), JSON.stringify(error), inspect(error, { depth: 10 })]
  for (const password of passwords.filter((p) => p !== '')) for (const text of texts) expect(text).not.toContain(password)
}
