import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_ROOT, collect, Sandbox } from './fixtures/cli.js'

const SCRIPT = join(CLI_ROOT, 'scripts', 'quickstart.mjs')
let s: Sandbox

beforeAll(async () => {
  s = await Sandbox.create('quickstart')
})
afterAll(() => s.cleanup())

function quickstart(env: Record<string, string | undefined>) {
  return collect(spawn(process.execPath, [SCRIPT], { cwd: s.work, env: s.env(env), stdio: ['ignore', 'pipe', 'pipe'] }))
}

describe('quickstart script', () => {
  it('runs every step on a fresh ./.assets-quickstart and exits 0', async () => {
    const r = await quickstart({ ASSETS_HOME: undefined })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(existsSync(join(s.work, '.assets-quickstart', 'registry.db'))).toBe(true)
    for (const step of ['put', 'find', 'ls', 'versions', 'lineage', 'get', 'verify']) expect(r.stdout).toContain(`\n$ assets ${step} `.trimEnd())
    expect(r.stdout).toMatch(/\nOK {2}sha256 of the copy matches the original: sha256:[0-9a-f]{64}\n/)
    expect(r.stdout).toMatch(/evaluated_on → datasets\/pbmc-mini@1\.1\.0 {2}pbmc-mini-qc\.tsv\n.*derived_from → datasets\/pbmc-mini@1\.0\.0 {2}pbmc-mini\.tsv/)
    expect(r.stdout).toContain('checked 5 versions: 5 ok, 0 with problems')
  })

  it('honours an existing ASSETS_HOME without wiping it, and a rerun over it succeeds', async () => {
    const r = await quickstart({ ASSETS_HOME: join(s.work, '.assets-quickstart') })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('unchanged datasets/pbmc-mini@1.0.0')
    expect(r.stdout).toContain('quickstart finished')
  })
})
