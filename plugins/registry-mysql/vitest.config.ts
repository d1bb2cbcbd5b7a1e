import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Checks that MariaDB/MySQL answers (failing the run rather than skipping when it does
    // not) and drops the databases this run created at the end.
    globalSetup: ['test/fixtures/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
