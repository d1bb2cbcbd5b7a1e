import { sqlServerRegistrySuite } from '@assets/testkit'
import { describe, it } from 'vitest'
import { postgresServer } from './fixtures/sql-server-fixture.js'

// The cases every SQL-server registry shares (testkit); PostgreSQL's ways are in the fixture.
describe('connections the server kills', () => {
  sqlServerRegistrySuite(it, postgresServer, { cases: ['killed-connections'] })
})

describe('a server that is down', () => {
  sqlServerRegistrySuite(it, postgresServer, { cases: ['server-down'] })
})
