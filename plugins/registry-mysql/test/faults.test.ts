import { inspect } from 'node:util'
import { hasErrorCode } from '@assets/core'
import { sqlServerRegistrySuite } from '@assets/testkit'
import { describe, expect, it } from 'vitest'
import { createMysqlRegistry } from '../src/index.js'
import { freshDatabase, registryOptions } from './fixtures/database.js'
import { mysqlServer } from './fixtures/sql-server-fixture.js'

const PASSWORD = 'Pa55-w0rd-that-must-never-show'

function expectNoPassword(error: unknown): void {
  const texts = [String((error as Error).message), String((error as Error).stack), JSON.stringify(error), inspect(error, { depth: 10 })]
  for (const text of texts) expect(text).not.toContain(PASSWORD)
}

// The cases every SQL-server registry shares (testkit); MySQL's ways are in the fixture.
describe('connections the server kills', () => {
  sqlServerRegistrySuite(it, mysqlServer, { cases: ['killed-connections'] })
})

describe('a server that is down', () => {
  sqlServerRegistrySuite(it, mysqlServer, { cases: ['server-down'] })

  // Only MySQL: PostgreSQL's test server trusts every password.
  it('a wrong password is BackendUnavailableError that does not show it', async () => {
    const database = await freshDatabase('denied')
    const registry = createMysqlRegistry(registryOptions(database, { user: 'assets_nobody', password: PASSWORD }))
    const error = await registry.listTags('datasets/x').catch((e: unknown) => e)
    expect(hasErrorCode(error, 'BACKEND_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toContain(`127.0.0.1:3306/${database}`)
    expectNoPassword(error)
    await registry.close()
  })
})
