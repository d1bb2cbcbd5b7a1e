import type { TestAPI } from 'vitest'

export interface StorageSuiteOptions {}

/** TODO: being written. */
export function storageSuite(_it: TestAPI, _create: () => unknown, _options: StorageSuiteOptions = {}): void {}
