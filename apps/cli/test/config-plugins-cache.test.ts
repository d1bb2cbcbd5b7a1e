import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_ROOT, expectFailure, Sandbox } from './fixtures/cli.js'

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
    const env = { STORAGE_TYPE: '@acme/assets-storage-gcs' }
    const check = await s.run(['config', 'check', '--json'], { env })
    expect(check.code).toBe(1)
    const doc = JSON.parse(check.stdout) as { problems: Array<{ field: string; message: string }> }
    expect(doc.problems).toEqual([
      { field: 'storage.type', message: expect.stringMatching(/^PLUGIN_NOT_FOUND: storage plugin @acme\/assets-storage-gcs was not found: install it \(npm install @acme\/assets-storage-gcs\); looked from /) },
    ])
    expectFailure(await s.run(['ls'], { env }), 'PLUGIN_NOT_FOUND')
  })

  it('config check loads every built-in backend the command ships, whatever the working folder', async () => {
    const env = {
      STORAGE_TYPE: 'S3Storage',
      S3_BUCKET: 'benchmarks',
      S3_REGION: 'us-east-1',
      DB_TYPE: 'PostgreSQL',
      DB_HOST: '127.0.0.1',
      CACHE_TYPE: 'RedisCache',
      REDIS_URL: 'redis://127.0.0.1:6379',
    }
    expect(await s.json(['config', 'check'], { env, cwd: s.root })).toEqual({ ok: true, problems: [] })
    expect(await s.json(['config', 'check'], { env: { STORAGE_TYPE: 'http', HTTP_STORAGE_BASE_URL: 'https://mirror.example.org' } })).toEqual({ ok: true, problems: [] })
    // Hugging Face is found too: its own schema reports the missing repository.
    const hf = await s.run(['config', 'check', '--json'], { env: { STORAGE_TYPE: 'HuggingFace' }, cwd: '/' })
    expect(hf.code).toBe(1)
    expect(JSON.parse(hf.stdout)).toEqual({
      ok: false,
      problems: [{ field: 'storage.repo', message: expect.stringMatching(/^expected required property/i) }],
    })
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
    origin: string | null
    path: string | null
    selected: boolean
  }

  it('lists the built-in plugins, which resolve from the CLI, and which the config selects', async () => {
    const { plugins } = await s.json<{ plugins: Row[] }>(['plugins'])
    const row = (kind: string, name: string) => plugins.find((p) => p.kind === kind && p.name === name)
    expect(Object.keys(plugins[0] ?? {}).sort()).toEqual(['builtin', 'installed', 'kind', 'name', 'origin', 'packageName', 'path', 'selected', 'version'])
    expect(row('storage', 'local')).toMatchObject({ packageName: '@assets/storage-local', installed: true, selected: true, builtin: true, origin: 'bundled' })
    expect(row('storage', 'local')?.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(row('registry', 'sqlite')).toMatchObject({ installed: true, selected: true })
    expect(row('cache', 'local')).toMatchObject({ installed: true, selected: true })
    // Every built-in comes with the command, found next to it whatever the working folder.
    // The remote storage is a subpath (`@assets/remote/storage`) of the remote package: found where that package is.
    for (const p of plugins) expect(p).toMatchObject({ builtin: true, installed: true, origin: 'bundled', path: expect.stringContaining(p.packageName.replace(/\/storage$/, '')) })
    expect(plugins.map((p) => `${p.kind}/${p.name}`).sort()).toEqual([
      'cache/local',
      'cache/memcached',
      'cache/redis',
      'cache/s3',
      'registry/mysql',
      'registry/postgres',
      'registry/remote',
      'registry/sqlite',
      'storage/http',
      'storage/huggingface',
      'storage/local',
      'storage/remote',
      'storage/s3',
    ])
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
    expect(human.stdout).toMatch(/^storage +local +@assets\/storage-local +\d+\.\d+\.\d+\S* +bundled: \S+ +yes$/m)
  })

  it('finds third-party plugins in the working folder’s project and in a plugin path the config names', async () => {
    // Two packages that are the local storage under another name: real plugins, loaded by name.
    const localStorage = pathToFileURL(join(CLI_ROOT, 'node_modules', '@assets', 'storage-local', 'dist', 'index.js')).href
    const plugin = async (dir: string, name: string) => {
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '7.0.0', type: 'module', exports: { '.': { import: './index.js' } } }))
      await writeFile(join(dir, 'index.js'), `export { default } from ${JSON.stringify(localStorage)}\n`)
    }
    await plugin(s.path('node_modules', '@acme', 'assets-storage-here'), '@acme/assets-storage-here')
    const folder = join(s.root, 'plugin-folder')
    await plugin(join(folder, 'assets-storage-there'), 'assets-storage-there')
    await writeFile(s.path('plugins.yaml'), `pluginPaths: [../plugin-folder]\n`)
    const env = { CONFIG_PATH: 'plugins.yaml' }

    const { plugins } = await s.json<{ plugins: Row[] }>(['plugins'], { env })
    expect(plugins.filter((p) => !p.builtin)).toEqual([
      expect.objectContaining({ packageName: 'assets-storage-there', kind: 'storage', origin: 'plugin path', path: join(folder, 'assets-storage-there'), version: '7.0.0', selected: false }),
      expect.objectContaining({ packageName: '@acme/assets-storage-here', kind: 'storage', origin: 'project', version: '7.0.0' }),
    ])
    for (const type of ['@acme/assets-storage-here', 'assets-storage-there']) {
      const store = join(s.root, 'third-party', type)
      await writeFile(s.path('stack.yaml'), `pluginPaths: [../plugin-folder]\nstorage: { type: "${type}", path: "${store}" }\n`)
      const stack = { CONFIG_PATH: 'stack.yaml', ASSETS_HOME: join(s.root, 'third-party', 'home') }
      const put = await s.json<{ version: string }>(['put', 'third/party', 'a.txt'], { env: stack })
      const got = await s.json<{ path: string }>(['get', `third/party@${put.version}`], { env: stack })
      expect(await readFile(got.path, 'utf8')).toBe('aaaa\n')
      expect(await readdir(join(store, 'blobs'), { recursive: true })).not.toEqual([])
    }
    // Outside the project, the project's plugin is gone; the plugin path still serves.
    const elsewhere = await s.run(['ls'], { env: { CONFIG_PATH: s.path('plugins.yaml'), STORAGE_TYPE: '@acme/assets-storage-here' }, cwd: s.root })
    expectFailure(elsewhere, 'PLUGIN_NOT_FOUND')
    expect(elsewhere.stderr).toContain(`looked from ${folder}, ${join(CLI_ROOT, 'dist')}, ${s.root}`)
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
    // get hands entries back through links named for their files; prune and clear take those along.
    const links = async () => (await readdir(join(s.home, 'cache', 'named'), { recursive: true })).filter((p) => p.endsWith('.txt')).sort()
    expect((await links()).map((p) => p.split('/').at(-1))).toEqual(['a.txt', 'b.txt'])
    const pruned = await s.json<{ removed: number; freedBytes: number }>(['cache', 'prune', '--max-bytes', '9'])
    expect(pruned).toEqual({ removed: 1, freedBytes: 5 })
    expect((await links()).map((p) => p.split('/').at(-1))).toEqual(['b.txt'])
    expect(await s.json(['cache', 'clear'])).toEqual({ cleared: true })
    expect(await readdir(join(s.home, 'cache', 'named'))).toEqual([]) // the links, and the folders they were in
    expect((await s.json<Listing>(['cache', 'ls'])).entries).toEqual([])
  })

  it('with the cache disabled the cache commands say so', async () => {
    expectFailure(await s.run(['cache', 'ls'], { env: { CACHE_ENABLED: 'false' } }), 'UNSUPPORTED_OPERATION')
  })
})
