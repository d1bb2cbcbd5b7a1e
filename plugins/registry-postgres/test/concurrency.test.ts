import { sqlServerRegistrySuite } from '@assets/testkit'
import { describe, it } from 'vitest'
import { postgresServer } from './fixtures/sql-server-fixture.js'

// The cases every SQL-server registry shares (testkit); PostgreSQL's ways are in the fixture.
describe('many workers at once', () => {
  sqlServerRegistrySuite(it, postgresServer, { cases: ['concurrency'] })
})
