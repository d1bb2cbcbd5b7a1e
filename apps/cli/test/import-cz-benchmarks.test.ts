import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFailure, describeUnlessLocalOnly, Sandbox } from './fixtures/cli.js'

// The command's own checks, which need no S3 server; the import against one is in
// tests/cli-backends/test/cz-benchmarks-import.test.ts.
const CATALOGUE = fileURLToPath(new URL('./fixtures/cz-benchmarks/datasets.yaml', import.meta.url))
let s: Sandbox

beforeAll(async () => {
  s = await Sandbox.create('cz-import')
})
afterAll(() => s.cleanup())

describe('assets import cz-benchmarks', () => {
  it('--dry-run reports 38 new entries of the real file and registers nothing', async () => {
    // Port 9 on loopback answers nothing: a dry run of new keys needs no request.
    const env = { ALLOW_INSECURE_STORAGE: 'true' }
    const report = await s.json<{ entries: number; new: number; dryRun: boolean }>(
      ['import', 'cz-benchmarks', CATALOGUE, '--dry-run', '--s3-endpoint', 'http://127.0.0.1:9'],
      { env },
    )
    expect(report).toMatchObject({ entries: 38, new: 38, dryRun: true })
    expectFailure(await s.run(['info', 'cz-benchmarks/tsv2_prostate'], { env }), 'ASSET_NOT_FOUND')
  })

  it('an endpoint with credentials in it is refused, and bad provenance flags are usage errors', async () => {
    expectFailure(await s.run(['import', 'cz-benchmarks', CATALOGUE, '--s3-endpoint', 'https://k:s@mirror.example.org']), 'INVALID_INPUT')
    const bad = await s.run(['import', 'cz-benchmarks', CATALOGUE, '--source-commit', 'HEAD~1'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--source-commit must be a hex commit id/)
    expect((await s.run(['import', 'cz-benchmarks'])).code).toBe(2)
  })

  it('a missing file is INVALID_INPUT', async () => {
    expectFailure(await s.run(['import', 'cz-benchmarks', s.path('nope.yaml')]), 'INVALID_INPUT')
  })
})

// Local only (see LOCAL_ONLY in vitest.config.ts): not registered in the run through a server.
describeUnlessLocalOnly('a plain http:// endpoint', () => {
  it('a plain http:// endpoint without ALLOW_INSECURE_STORAGE fails the whole import once, before any entry', async () => {
    const r = await s.run(['import', 'cz-benchmarks', CATALOGUE, '--s3-endpoint', 'http://127.0.0.1:9'])
    expectFailure(r, 'CONFIG_INVALID')
    expect(r.stderr).toMatch(/ALLOW_INSECURE_STORAGE/)
  })
})
