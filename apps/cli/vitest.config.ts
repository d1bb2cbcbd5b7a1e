import { defineConfig } from 'vitest/config'

/**
 * What cannot hold through `assets serve` by design, each with why: a test file, or
 * `file > describe` for one block that describeUnlessLocalOnly (test/fixtures/cli.ts) leaves
 * unregistered. The `server` project runs everything else again through a server, each sandbox
 * with its own (issue 15: the same suite both ways); `local` runs every file on the local stack.
 */
const LOCAL_ONLY: Record<string, string> = {
  'test/trust-identity.test.ts': 'assets trust and config.yaml/.env trust, --as/ASSETS_USER deciding admin, file modes of the local store',
  'test/config-plugins-cache.test.ts': 'config show/check and plugins describe the local stack and its config precedence; cache internals',
  'test/maintenance.test.ts': 'gc and verify are checked by planting and damaging files in the local store',
  'test/sigterm.test.ts': 'watches the staging file of a local put to interrupt it; cat killed mid-stream reads local storage',
  'test/quickstart.test.ts': 'the quickstart is the embedded default: it checks the registry.db it creates',
  'test/tokens.test.ts': "token ls also lists the tokens the harness issued to act as each user; reads the local registry.db",
  'test/progress.test.ts': 'in-process unit test of the progress bar: no CLI run, nothing goes through a server',
  'test/where-parser.test.ts': 'in-process unit test of the query parser: no CLI run',
  'test/where-parser.properties.test.ts': 'in-process property test of the query parser: no CLI run',
  'test/cz-benchmarks-catalogue.test.ts': 'in-process unit test of the catalogue mapping: no CLI run',
  'test/usage.test.ts': 'help, usage errors and version: answered before any stack is opened',
  'test/validate.test.ts': 'validates local files; opens no stack',
  'test/check-compat.test.ts': 'checks local spec files; opens no stack',
  'test/identity-acl.test.ts > the --as claim itself': 'a server ignores --as (the token decides), so an invalid claimed name is never checked',
  'test/existence-leaks.test.ts > a blob missing from the local store': 'deletes a blob file from the local store',
  'test/config-url.test.ts > a plain http:// config URL': 'every run through the http:// loopback server has ALLOW_INSECURE_STORAGE=true',
  'test/import-cz-benchmarks.test.ts > a plain http:// endpoint': 'every run through the http:// loopback server has ALLOW_INSECURE_STORAGE=true',
  'test/interrupt-output.test.ts > Ctrl-C during a put': 'waits for the staging file of a local put before interrupting it',
}
const excludedFiles = Object.keys(LOCAL_ONLY).filter((entry) => !entry.includes(' > '))
const excludedSuites = Object.keys(LOCAL_ONLY).flatMap((entry) => (entry.includes(' > ') ? [entry.split(' > ')[1] as string] : []))

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'local', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'server',
          include: ['test/**/*.test.ts'],
          exclude: excludedFiles,
          env: { ASSETS_TEST_THROUGH_SERVER: '1', ASSETS_TEST_LOCAL_ONLY_SUITES: JSON.stringify(excludedSuites) },
        },
      },
    ],
  },
})
