import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFailure, Sandbox } from './fixtures/cli.js'

let s: Sandbox

interface VerifyReport {
  checked: number
  ok: number
  problems: Array<{ key: string; version: string; location: string; message: string }>
}

interface GcReport {
  dryRun: boolean
  purgedVersions: Array<{ key: string; version: string }>
  removedObjects: string[]
  freedBytes: number
}

beforeAll(async () => {
  s = await Sandbox.create('maintenance')
  await writeFile(s.path('keep.txt'), 'keep me\n')
  await writeFile(s.path('damage.txt'), 'to be damaged\n')
  await writeFile(s.path('temp.txt'), 'temporary output\n')
  await mkdir(s.path('folder'))
  await writeFile(s.path('folder', 'x.txt'), 'x\n')
})
afterAll(() => s.cleanup())

async function blobPath(digest: string): Promise<string> {
  const hex = digest.slice('sha256:'.length)
  const dir = join(s.home, 'storage', 'blobs', 'sha256', hex.slice(0, 2))
  const name = (await readdir(dir)).find((n) => n.startsWith(hex))
  if (!name) throw new Error(`no blob for ${digest} under ${dir}`)
  return join(dir, name)
}

describe('gc', () => {
  it('removes stray objects older than the grace period and expired versions; --dry-run only lists them', async () => {
    await s.json(['put', 'keep/one', 'keep.txt'])
    await s.json(['put', 'keep/folder', 'folder'])
    await s.json(['put', 'tmp/out', 'temp.txt', '--kind', 'output', '--expires', '1s'])
    const stray = join(s.home, 'storage', 'blobs', 'sha256', 'ff', 'ff'.repeat(32))
    await mkdir(join(stray, '..'), { recursive: true })
    await writeFile(stray, 'nobody refers to me')
    await new Promise((r) => setTimeout(r, 1100))

    const dry = await s.json<GcReport>(['gc', '--dry-run', '--grace', '0'])
    expect(dry.dryRun).toBe(true)
    expect(dry.purgedVersions).toEqual([{ key: 'tmp/out', version: '1.0.0' }])
    expect(dry.removedObjects).toEqual([`blobs/sha256/ff/${'ff'.repeat(32)}`])
    expect((await s.json(['versions', 'tmp/out'])).versions).toHaveLength(1)

    // With the default grace period of an hour no young object is touched; expiry has no grace.
    const young = await s.json<GcReport>(['gc'])
    expect(young.removedObjects).toEqual([])
    expect(young.purgedVersions).toEqual([{ key: 'tmp/out', version: '1.0.0' }])

    const real = await s.run(['gc', '--grace', '0'])
    expect(real.code).toBe(0)
    expect(real.stdout).toMatch(/^removed 2 objects \(\d+ B\) and 0 expired versions\n/)
    expectFailure(await s.run(['versions', 'tmp/out']), 'ASSET_NOT_FOUND')
    expect((await s.run(['get', 'keep/one'])).code).toBe(0)
    expect((await s.run(['get', 'keep/folder'])).code).toBe(0)
  })
})

describe('verify', () => {
  it('exits 0 when every version is intact, and 1 with the problems when content is damaged', async () => {
    const put = await s.json<{ digest: string }>(['put', 'bad/one', 'damage.txt'])
    const ok = await s.json<VerifyReport>(['verify'])
    expect(ok).toEqual({ checked: 3, ok: 3, problems: [] })
    expect((await s.run(['verify', 'bad/one', '--shallow'])).stdout).toBe('checked 1 version: 1 ok, 0 with problems\n')

    await writeFile(await blobPath(put.digest), 'to be DAMAGED\n')
    const deep = await s.run(['verify', '--json'])
    expect(deep.code).toBe(1)
    const report = JSON.parse(deep.stdout) as VerifyReport
    expect(report.checked).toBe(3)
    expect(report.problems).toEqual([{ key: 'bad/one', version: '1.0.0', location: expect.stringMatching(/^blobs\/sha256\//), message: expect.stringMatching(/^digest /) }])
    // Same size, so a shallow check does not see it; a deep one of that key does.
    expect((await s.run(['verify', 'bad/one', '--shallow'])).code).toBe(0)
    const human = await s.run(['verify', 'bad/one'])
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(/^checked 1 version: 0 ok, 1 with problems\n {2}bad\/one@1\.0\.0: digest sha256:/)
    // get refuses the damaged content rather than hand it out.
    expectFailure(await s.run(['get', 'bad/one']), 'INTEGRITY_ERROR')
  })
})
