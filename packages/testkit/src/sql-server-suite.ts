import type { TestAPI } from 'vitest'
import type { SqlServerFixture } from './sql-server-fixture.js'
import type { SqlServerDefine } from './sql-server-case.js'
import { manyWorkers } from './sql-server-concurrency-cases.js'
import { killedConnections, serverDown } from './sql-server-fault-cases.js'

/** The groups of `sqlServerRegistrySuite`, so that a plugin can run them from separate files. */
export type SqlServerCases = 'concurrency' | 'killed-connections' | 'server-down'

export interface SqlServerRegistrySuiteOptions {
  /** The groups to define (default all): several processes and pools at once, connections the server kills, a server that is down. */
  cases?: SqlServerCases[]
}

/**
 * What a registry on a database server (PostgreSQL, MySQL/MariaDB) must do beyond
 * `registrySuite`: stay consistent when many processes and pools work on one catalogue at once,
 * and survive its server killing connections, going down and hanging. Each test works in a
 * fresh namespace of the fixture's (closed with the test); the multi-process cases need the
 * plugin built.
 */
export function sqlServerRegistrySuite<O>(it: TestAPI, fixture: SqlServerFixture<O>, options: SqlServerRegistrySuiteOptions = {}): void {
  const cases = new Set(options.cases ?? ['concurrency', 'killed-connections', 'server-down'])
  const define: SqlServerDefine<O> = (name, label, body) => {
    it(name, async ({ expect }) => {
      const namespace = await fixture.namespace(label)
      try {
        await body({ fixture, namespace, expect })
      } finally {
        await namespace.close()
      }
    })
  }
  if (cases.has('concurrency')) manyWorkers(define, fixture)
  if (cases.has('killed-connections')) killedConnections(define, fixture)
  if (cases.has('server-down')) serverDown(define)
}
