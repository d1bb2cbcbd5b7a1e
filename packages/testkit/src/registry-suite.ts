import type { Registry } from '@assets/core'
import type { TestAPI } from 'vitest'
import { randomKey } from './fixtures.js'
import type { Define } from './registry-case.js'
import { accessControl, registerAndResolve, tags } from './registry-version-cases.js'
import { queryAccess, queryFilters, querySelection, querySortAndPaging } from './registry-query-cases.js'
import { annotationsAndDeletion, auditTrail, lineage, maintenance } from './registry-history-cases.js'
import { contentLeases } from './registry-lease-cases.js'
import { referenceDigests } from './registry-digest-cases.js'
import { apiTokens } from './registry-token-cases.js'

export interface RegistrySuiteOptions {
  /** First segment of every key the suite registers (default `suite`). */
  keyPrefix?: string
  /**
   * The registry keeps the asset server's API tokens (`Registry.tokens`, as the SQL registries
   * do): run the token cases, which then require it. Without it they are not defined at all.
   */
  tokens?: boolean
}

/**
 * The behaviour every Registry must have, whatever its backend. Each test opens a registry with
 * `create()`, uses keys no other test uses (so one backend can serve every test, and several
 * runs at once), and closes it. Query tests scope themselves with a random `keyPrefix`.
 */
export function registrySuite(it: TestAPI, create: () => Registry | Promise<Registry>, options: RegistrySuiteOptions = {}): void {
  const prefix = options.keyPrefix ?? 'suite'
  const define: Define = (name, body) => {
    it(name, async ({ expect }) => {
      const registry = await create()
      const others: Registry[] = []
      const another = async () => {
        const other = await create()
        others.push(other)
        return other
      }
      try {
        await body({ registry, expect, key: () => randomKey(prefix), another })
      } finally {
        for (const other of others) await other.close()
        await registry.close()
      }
    })
  }
  registerAndResolve(define)
  tags(define)
  accessControl(define)
  queryFilters(define)
  querySelection(define)
  querySortAndPaging(define)
  queryAccess(define)
  annotationsAndDeletion(define)
  auditTrail(define)
  lineage(define)
  maintenance(define)
  contentLeases(define)
  referenceDigests(define)
  if (options.tokens) apiTokens(define)
}
