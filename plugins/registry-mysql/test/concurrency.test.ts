import { sqlServerRegistrySuite } from '@assets/testkit'
import { describe, it } from 'vitest'
import { mysqlServer } from './fixtures/sql-server-fixture.js'

// The cases every SQL-server registry shares (testkit); MySQL's ways are in the fixture.
describe('many workers at once', () => {
  sqlServerRegistrySuite(it, mysqlServer, { cases: ['concurrency'] })
})
