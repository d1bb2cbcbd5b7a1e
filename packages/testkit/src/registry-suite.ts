import type { TestAPI } from 'vitest'

export interface RegistrySuiteOptions {}

/** TODO: being written. */
export function registrySuite(_it: TestAPI, _create: () => unknown, _options: RegistrySuiteOptions = {}): void {}
