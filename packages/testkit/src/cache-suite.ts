import type { TestAPI } from 'vitest'

export interface CacheSuiteOptions {}

/** TODO: being written. */
export function cacheSuite(_it: TestAPI, _create: () => unknown, _options: CacheSuiteOptions = {}): void {}
