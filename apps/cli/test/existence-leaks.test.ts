import { chmod, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliResult, expectFailure, describeUnlessLocalOnly, Sandbox } from './fixtures/cli.js'

// What a hostile user probed (issue 13): "missing" and "not readable" must look the same
// (DESIGN §5.9), and a handful of answers were untyped, silent or inconsistent.

let s: Sandbox
const CFG = 'users:\n  alice:\n    groups: [lab]\n  bob: {}\n  mallory: {}\n  ops:\n    roles: [admin]\n'
const as = (user: string) => ['--as', user, '--config', 'cfg.yaml']

interface Relationship {
  relation: string
  key: string
  version: string
}

beforeAll(async () => {
  s = await Sandbox.create('leaks')
  await writeFile(s.path('cfg.yaml'), CFG)
  await writeFile(s.path('secret.txt'), 'alice only\n')
  await writeFile(s.path('open.txt'), 'for everyone\n')
  await writeFile(s.path('other.txt'), 'other bytes\n')
  await s.json(['put', 'lab/secret', 'secret.txt', '--private', '--tag', 'gold', ...as('alice')])
  await s.json(['put', 'lab/shared', 'open.txt', ...as('alice')])
  await s.json(['put', 'lab/result', 'other.txt', '--relate', 'uses=lab/secret@1.0.0', '--relate', 'uses=lab/shared@1.0.0', ...as('alice')])
})
afterAll(() => s.cleanup())

/** The same failure, code and message alike, once the key (and version or tag) asked about is masked. */
function expectSameAnswer(hidden: CliResult, missing: CliResult, mask: Array<[string, string]>): void {
  expectFailure(hidden, 'ASSET_NOT_FOUND')
  expectFailure(missing, 'ASSET_NOT_FOUND')
  const masked = (text: string, i: 0 | 1) => mask.reduce((t, pair) => t.replaceAll(pair[i], '<X>'), text)
  expect(masked(hidden.stderr, 0)).toBe(masked(missing.stderr, 1))
}

describe('missing and not readable look the same', () => {
  const probes: Array<[string, (key: string) => string[]]> = [
    ['info', (k) => ['info', k]],
    ['info @version', (k) => ['info', `${k}@1.0.0`]],
    ['info @tag', (k) => ['info', `${k}@gold`]],
    ['versions', (k) => ['versions', k]],
    ['cat', (k) => ['cat', k]],
    ['get', (k) => ['get', k]],
    ['tag', (k) => ['tag', k, 'mine']],
    ['tag --rm', (k) => ['tag', '--rm', k, 'gold']],
    ['acl show', (k) => ['acl', 'show', k]],
    ['acl grant', (k) => ['acl', 'grant', k, 'read', 'mallory']],
    ['audit', (k) => ['audit', k]],
    ['annotate', (k) => ['annotate', k, 'hello']],
    ['lineage', (k) => ['lineage', k]],
    ['rm', (k) => ['rm', `${k}@1.0.0`]],
    ['put --relate', (k) => ['put', 'mallory/own', 'open.txt', '--relate', `uses=${k}`]],
  ]
  for (const [name, args] of probes) {
    it(`${name}: an unreadable asset gets the answer of a missing one`, async () => {
      const hidden = await s.run([...args('lab/secret'), ...as('mallory')])
      const missing = await s.run([...args('lab/absent'), ...as('mallory')])
      expectSameAnswer(hidden, missing, [['lab/secret', 'lab/absent']])
    })
  }

  it('versions and tags hidden from a reader of the key cannot be probed', async () => {
    await writeFile(s.path('rc.txt'), 'release candidate\n')
    await s.json(['put', 'lab/mixed', 'open.txt', '--version', '1.0.0', '--tag', 'stable', ...as('alice')])
    await s.json(['put', 'lab/mixed', 'rc.txt', '--version', '2.0.0-rc.1', '--tag', 'beta', '--private', ...as('alice')])
    const listed = await s.json<{ versions: Array<{ version: string; tags: string[] }> }>(['versions', 'lab/mixed', '--all', ...as('mallory')])
    expect(listed.versions.map((v) => [v.version, v.tags])).toEqual([['1.0.0', ['latest', 'stable']]])
    for (const [hidden, missing] of [['2.0.0-rc.1', '9.9.9'], ['beta', 'nosuch']] as const) {
      for (const args of [['info'], ['cat'], ['lineage']]) {
        const a = await s.run([...args, `lab/mixed@${hidden}`, ...as('mallory')])
        const b = await s.run([...args, `lab/mixed@${missing}`, ...as('mallory')])
        expectSameAnswer(a, b, [[hidden, missing]])
      }
    }
    expectSameAnswer(
      await s.run(['tag', '--rm', 'lab/mixed', 'beta', ...as('mallory')]),
      await s.run(['tag', '--rm', 'lab/mixed', 'nosuch', ...as('mallory')]),
      [['beta', 'nosuch']],
    )
  })

  it('put of a key the user cannot read is refused without naming a version, owner or tag, whatever the version asked', async () => {
    for (const extra of [[], ['--version', '1.0.0'], ['--version', '1.0.0+b'], ['--version', '7.0.0']]) {
      const r = await s.run(['put', 'lab/secret', 'open.txt', ...extra, ...as('mallory')])
      expectFailure(r, 'ACCESS_DENIED')
      expect(r.stderr).not.toMatch(/1\.0\.0|alice|gold/)
    }
    // A reader who may read but not write is told so: that reveals nothing they could not see.
    await s.json(['acl', 'grant', 'lab/shared', 'read', 'bob', ...as('alice')])
    expectFailure(await s.run(['tag', 'lab/shared', 'mine', ...as('bob')]), 'ACCESS_DENIED')
    expect((await s.json<{ version: string }>(['info', 'lab/secret', ...as('alice')])).version).toBe('1.0.0')
  })

  it('info, versions and find show relationships only to what the reader may read, as lineage does', async () => {
    const shared: Relationship = { relation: 'uses', key: 'lab/shared', version: '1.0.0' }
    const secret: Relationship = { relation: 'uses', key: 'lab/secret', version: '1.0.0' }
    const info = await s.json<{ relationships: Relationship[] }>(['info', 'lab/result', ...as('mallory')])
    expect(info.relationships).toEqual([shared])
    const { versions } = await s.json<{ versions: Array<{ relationships: Relationship[] }> }>(['versions', 'lab/result', ...as('mallory')])
    expect(versions[0]?.relationships).toEqual([shared])
    const found = await s.json<{ items: Array<{ key: string; relationships: Relationship[] }> }>(['find', ...as('mallory')])
    expect(found.items.find((i) => i.key === 'lab/result')?.relationships).toEqual([shared])
    const lineage = await s.json<{ edges: Array<{ to: { key: string } }> }>(['lineage', 'lab/result', '--up', ...as('mallory')])
    expect(lineage.edges.map((e) => e.to.key)).toEqual(['lab/shared'])
    // The owner and an admin see both.
    for (const user of ['alice', 'ops']) {
      const all = await s.json<{ relationships: Relationship[] }>(['info', 'lab/result', ...as(user)])
      expect(all.relationships).toEqual(expect.arrayContaining([shared, secret]))
    }
  })
})

describe('small answers that were wrong', () => {
  it('acl revoke of a grant that is not there is ASSET_NOT_FOUND, as tag --rm of a tag that is not there', async () => {
    const before = await s.json<{ accessControl: unknown }>(['acl', 'show', 'lab/secret', ...as('alice')])
    const r = await s.run(['acl', 'revoke', 'lab/secret', 'read', 'bob', ...as('alice')])
    expectFailure(r, 'ASSET_NOT_FOUND')
    expect(r.stderr).toMatch(/user:bob has no read grant on lab\/secret/)
    expectFailure(await s.run(['tag', '--rm', 'lab/secret', 'nosuch', ...as('alice')]), 'ASSET_NOT_FOUND')
    expect(await s.json(['acl', 'show', 'lab/secret', ...as('alice')])).toEqual(before)
    // Someone who may not change the ACL is refused for that, not told about grants.
    expectFailure(await s.run(['acl', 'revoke', 'lab/shared', 'read', 'mallory', ...as('bob')]), 'ACCESS_DENIED')
  })

  it('versions that differ only in build metadata do not coexist', async () => {
    await s.json(['put', 'lab/build', 'open.txt', '--version', '1.0.0', ...as('alice')])
    const r = await s.run(['put', 'lab/build', 'other.txt', '--version', '1.0.0+build.7', ...as('alice')])
    expectFailure(r, 'VERSION_CONFLICT')
    expect(r.stderr).toContain('build metadata')
    expectFailure(await s.run(['put', 'lab/build', 'open.txt', '--version', '1.0.0+build.7', ...as('alice')]), 'VERSION_CONFLICT')
    const { versions } = await s.json<{ versions: Array<{ version: string }> }>(['versions', 'lab/build', ...as('alice')])
    expect(versions.map((v) => v.version)).toEqual(['1.0.0'])
  })

  it('--expires that is not a time to come is one usage error (exit 2), and nothing is stored', async () => {
    for (const value of ['banana', '99999999d', '2001-01-01T00:00:00Z', '0s']) {
      const r = await s.run(['put', 'lab/expiring', 'open.txt', '--expires', value, ...as('alice')])
      expect({ value, code: r.code }).toEqual({ value, code: 2 })
      expect(r.stderr).toMatch(/^error USAGE: --expires/)
    }
    expectFailure(await s.run(['info', 'lab/expiring', ...as('alice')]), 'ASSET_NOT_FOUND')
  })

  it('an $in too large for a registry is a typed query error, not BACKEND_UNAVAILABLE', async () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`).join(',')
    const r = await s.run(['find', '--where', `organism in (${values(1500)})`, ...as('alice')])
    expectFailure(r, 'INVALID_QUERY')
    expect(r.stderr).toMatch(/at most 500 values/)
    expect((await s.json<{ items: unknown[] }>(['find', '--where', `organism in (${values(500)})`, ...as('alice')])).items).toEqual([])
  })

  it('cat --help says that cat streams bytes it verifies only at the end, and points at get', async () => {
    const help = await s.run(['cat', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/unverified until the end/)
    expect(help.stdout).toMatch(/INTEGRITY_ERROR/)
    expect(help.stdout).toMatch(/use get/)
  })
})

// Local only (see LOCAL_ONLY in vitest.config.ts): not registered in the run through a server.
describeUnlessLocalOnly('a blob missing from the local store', () => {
  it('a blob missing from storage is INTEGRITY_ERROR from cat, ranged or not, as from get', async () => {
    await writeFile(s.path('doomed.txt'), 'bytes that will go missing\n')
    const put = await s.json<{ digest: string }>(['put', 'lab/doomed', 'doomed.txt', ...as('alice')])
    const hex = put.digest.replace('sha256:', '')
    const folder = join(s.home, 'storage', 'blobs', 'sha256', hex.slice(0, 2))
    await chmod(folder, 0o755)
    await rm(join(folder, hex), { force: true })
    expectFailure(await s.run(['cat', 'lab/doomed', ...as('alice')]), 'INTEGRITY_ERROR')
    expectFailure(await s.run(['cat', 'lab/doomed', '--range', '0-3', ...as('alice')]), 'INTEGRITY_ERROR')
    expectFailure(await s.run(['get', 'lab/doomed', ...as('alice')]), 'INTEGRITY_ERROR')
  })
})
