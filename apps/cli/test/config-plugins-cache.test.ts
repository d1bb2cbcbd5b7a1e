import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFailure, Sandbox } from './fixtures/cli.js'

let s: Sandbox

beforeAll(async () => {
  s = await Sandbox.create('config')
  await writeFile(s.path('a.txt'), 'aaaa\n')
  await writeFile(s.path('b.txt'), 'bbbbbbbb\n')
  await writeFile(
    s.path('secret.yaml'),
    'registry:\n  type: postgres\n  host: db.internal\n  password: hunter2-secret\ncache:\n  ttl: 60\n',
  )
  await writeFile(s.path('broken.yaml'), 'storage:\n  type: s3\ncache:\n  ttl: -5\nfrobnicate: 1\n')
})
afterAll(() => s.cleanup())

interface Shown {
  config: { dataDir: string; cacheDir: string; storage: Record<string, unknown>; cache: Record<string, unknown>; registry: Record<string, unknown> }
  sources: Record<string, string>
  configFile: string | null
  dotenvFile: string | null
  actor: { user: string; groups: string[]; roles: string[] }
}

describe('config', () => {
  it('config show prints the resolved embedded default and where each part came from', async () => {
    const doc = await s.json<Shown>(['config', 'show'])
    expect(Object.keys(doc).sort()).toEqual(['actor', 'config', 'configFile', 'dotenvFile', 'sources'])
    expect(doc.config.dataDir).toBe(s.home)
    expect(doc.config.storage).toEqual({ type: 'local', path: join(s.home, 'storage') })
    expect(doc.config.registry).toEqual({ type: 'sqlite', path: join(s.home, 'registry.db') })
    expect(doc.sources).toMatchObject({ dataDir: 'env', storage: 'default', registry: 'default' })
    expect(doc.configFile).toBeNull()
    const human = await s.run(['config', 'show'])
    expect(human.stdout).toMatch(/^config file +\(none\)\n/m)
    expect(human.stdout).toMatch(/^storage +type=local path=\S+ +\[default\]$/m)
  })

  it('config show redacts secrets; --config and CONFIG_PATH select the file', async () => {
    const doc = await s.json<Shown>(['config', 'show', '--config', 'secret.yaml'])
    expect(doc.configFile).toBe(s.path('secret.yaml'))
    expect(doc.config.registry).toMatchObject({ type: 'postgres', host: 'db.internal', password: '***' })
    expect(doc.sources.registry).toBe('file')
    const human = await s.run(['config', 'show'], { env: { CONFIG_PATH: 'secret.yaml', DB_PASSWORD: 'from-env-secret' } })
    expect(human.code).toBe(0)
    expect(human.stdout).not.toMatch(/hunter2|from-env-secret/)
    expect(human.stdout).toMatch(/^registry +type=postgres .*\[env\]$/m)
  })

  it('config check passes on the embedded default', async () => {
    const ok = await s.run(['config', 'check'])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toBe('config OK\n')
    expect(await s.json(['config', 'check'])).toEqual({ ok: true, problems: [] })
  })

  it('config check exits 1 listing every problem, as a report', async () => {
    const r = await s.run(['config', 'check', '--config', 'broken.yaml', '--json'])
    expect(r.code).toBe(1)
    const doc = JSON.parse(r.stdout) as { ok: boolean; problems: Array<{ field: string; message: string }> }
    expect(doc.ok).toBe(false)
    const fields = doc.problems.map((p) => p.field)
    expect(fields).toEqual(expect.arrayContaining(['frobnicate', 'cache.ttl']))
    const human = await s.run(['config', 'check', '--config', 'broken.yaml'])
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(/^config has \d+ problems:\n {2}- /)
  })

  it('a selected plugin that is not installed is reported by check, and fails commands with PLUGIN_NOT_FOUND', async () => {
    const env = { STORAGE_TYPE: 's3', S3_BUCKET: 'b' }
    const check = await s.run(['config', 'check', '--json'], { env })
    expect(check.code).toBe(1)
    const doc = JSON.parse(check.stdout) as { problems: Array<{ field: string; message: string }> }
    expect(doc.problems).toEqual([{ field: 'storage.type', message: expect.stringMatching(/PLUGIN_NOT_FOUND: .*@assets\/storage-s3/) }])
    expectFailure(await s.run(['ls'], { env }), 'PLUGIN_NOT_FOUND')
  })

  it('an invalid config fails every command with CONFIG_INVALID listing each bad field', async () => {
    const r = await s.run(['ls', '--config', 'broken.yaml'])
    expectFailure(r, 'CONFIG_INVALID')
    expect(r.stderr).toMatch(/frobnicate/)
    expect(r.stderr).toMatch(/cache\.ttl/)
    expectFailure(await s.run(['ls', '--config', 'missing.yaml']), 'CONFIG_INVALID')
  })
})

describe('plugins', () => {
  interface Row {
    kind: string
    name: string
    packageName: string
    builtin: boolean
    installed: boolean
    version: string | null
    path: string | null
    selected: boolean
  }

  it('lists the built-in plugins, which resolve from the CLI, and which the config selects', async () => {
    const { plugins } = await s.json<{ plugins: Row[] }>(['plugins'])
    const row = (kind: string, name: string) => plugins.find((p) => p.kind === kind && p.name === name)
    expect(Object.keys(plugins[0] ?? {}).sort()).toEqual(['builtin', 'installed', 'kind', 'name', 'packageName', 'path', 'selected', 'version'])
    expect(row('storage', 'local')).toMatchObject({ packageName: '@assets/storage-local', installed: true, selected: true, builtin: true })
    expect(row('storage', 'local')?.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(row('registry', 'sqlite')).toMatchObject({ installed: true, selected: true })
    expect(row('cache', 'local')).toMatchObject({ installed: true, selected: true })
    expect(row('storage', 's3')).toMatchObject({ packageName: '@assets/storage-s3', installed: false, selected: false })
    expect(row('registry', 'postgres')?.selected).toBe(false)
  })

  it('a third-party package named by the config is listed as selected, and not installed', async () => {
    const { plugins } = await s.json<{ plugins: Row[] }>(['plugins'], { env: { STORAGE_TYPE: '@acme/assets-storage-gcs' } })
    expect(plugins.find((p) => p.packageName === '@acme/assets-storage-gcs')).toMatchObject({
      kind: 'storage',
      builtin: false,
      installed: false,
      selected: true,
    })
    expect(plugins.find((p) => p.name === 'local' && p.kind === 'storage')?.selected).toBe(false)
    const human = await s.run(['plugins'])
    expect(human.stdout).toMatch(/^storage +local +@assets\/storage-local +\d+\.\d+\.\d+\S* +yes$/m)
  })
})

describe('cache', () => {
  interface Listing {
    entries: Array<{ key: string; path: string; size: number; lastAccess: string }>
    stats: { entries: number; bytes: number; hits: number; misses: number }
  }

  it('ls shows what get brought in; prune and clear empty it; verify re-hashes', async () => {
    await s.json(['put', 'cache/a', 'a.txt'])
    await s.json(['put', 'cache/b', 'b.txt'])
    expect((await s.json<Listing>(['cache', 'ls'])).entries).toEqual([])
    await s.json(['get', 'cache/a'])
    await s.json(['get', 'cache/b'])
    const listed = await s.json<Listing>(['cache', 'ls'])
    expect(listed.entries.map((e) => e.size).sort()).toEqual([5, 9])
    expect(listed.stats).toMatchObject({ entries: 2, bytes: 14 })
    expect(Object.keys(listed.entries[0] ?? {})).toEqual(expect.arrayContaining(['key', 'path', 'size', 'lastAccess']))
    expect((await s.run(['cache', 'ls'])).stdout).toMatch(/\n2 entries, 14 B\n$/)

    expect(await s.json(['cache', 'verify'])).toEqual({ checked: 2, removed: [] })
    const pruned = await s.json<{ removed: number; freedBytes: number }>(['cache', 'prune', '--max-bytes', '9'])
    expect(pruned).toEqual({ removed: 1, freedBytes: 5 })
    expect(await s.json(['cache', 'clear'])).toEqual({ cleared: true })
    expect((await s.json<Listing>(['cache', 'ls'])).entries).toEqual([])
  })

  it('with the cache disabled the cache commands say so', async () => {
    expectFailure(await s.run(['cache', 'ls'], { env: { CACHE_ENABLED: 'false' } }), 'UNSUPPORTED_OPERATION')
  })
})
