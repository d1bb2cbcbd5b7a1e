import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One Ceph cluster (the S3 plugin's own fixture) serves every test file of the run.
    globalSetup: ['test/fixtures/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
