import type { Actor, BaseAssetManager } from '@assets/core'
import type { TestAPI } from 'vitest'
import { accessTests } from './manager-access-tests.js'
import { commitTests } from './manager-commit-tests.js'
import { contentTests } from './manager-content-tests.js'
import { localPathTests } from './manager-local-path-tests.js'
import { changingSourceTests, gcRaceTests, heldTemporaryTests, maintenanceTests } from './manager-maintenance-tests.js'
import { versionTests } from './manager-version-tests.js'
import { writeThroughTests } from './manager-write-through-tests.js'

export interface ManagerSuiteOptions {
  /** Label in test names, e.g. `sqlite+local+local`. */
  name?: string
  /** False for a stack built without a cache (default true). */
  cache?: boolean
}

/** Builds a whole stack acting as `actor`; each test builds its own and closes it. */
export type ManagerFactory = (actor: Actor) => BaseAssetManager | Promise<BaseAssetManager>

/**
 * The behaviour every stack must show through the manager's public API: round trips, dedup,
 * versions and tags, access control on every method, lineage, audit, verify and gc.
 */
export function managerSuite(it: TestAPI, create: ManagerFactory, options: ManagerSuiteOptions = {}): void {
  const prefix = options.name ? `${options.name}: ` : ''
  const suite = { it, create, prefix, withCache: options.cache ?? true }
  contentTests(suite)
  localPathTests(suite)
  writeThroughTests(suite)
  versionTests(suite)
  accessTests(suite)
  maintenanceTests(suite)
  gcRaceTests(suite)
  changingSourceTests(suite)
  heldTemporaryTests(suite)
  commitTests(suite)
}
