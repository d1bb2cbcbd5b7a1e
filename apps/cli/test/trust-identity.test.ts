import { existsSync } from 'node:fs'
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFailure, Sandbox } from './fixtures/cli.js'

let s: Sandbox
let marker: string

/** A cloned repository: its config.yaml names a plugin file that leaves a marker when imported. */
async function repoWithPlugin(name: string): Promise<string> {
  const repo = join(s.root, name)
  await mkdir(repo, { recursive: true })
  await writeFile(join(repo, 'evil.mjs'), `import { writeFileSync } from 'node:fs'\nwriteFileSync(${JSON.stringify(marker)}, 'ran')\nexport default {}\n`)
  await writeFile(join(repo, 'config.yaml'), `storage:\n  type: ${join(repo, 'evil.mjs')}\n`)
  return repo
}

const warningsIn = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('warning: '))

beforeAll(async () => {
  s = await Sandbox.create('trust', { trusted: false })
  marker = join(s.root, 'plugin-ran')
  await writeFile(s.path('a.txt'), 'hello\n')
})
afterAll(() => s.cleanup())

describe('an untrusted working folder', () => {
  it('its config.yaml plugin is never imported: one warning says how to allow it; after assets trust it is', async () => {
    const repo = await repoWithPlugin('plugin-repo')
    const r = await s.run(['ls'], { cwd: repo })
    expect(r.code).toBe(0)
    expect(existsSync(marker)).toBe(false)
    expect(warningsIn(r.stderr)).toEqual([
      `warning: ignoring config.yaml in ${repo}: the folder is not trusted. If you trust what is there, run: assets trust ${repo}`,
    ])

    const trusted = await s.json<{ trusted: { path: string; files: Record<string, string | null> } }>(['trust'], { cwd: repo })
    expect(trusted.trusted.path).toBe(repo)
    expectFailure(await s.run(['ls'], { cwd: repo }), 'PLUGIN_INVALID')
    expect(existsSync(marker)).toBe(true)
  })

  it('its .env cannot point the storage elsewhere until trusted, and a changed .env needs trusting again', async () => {
    const repo = join(s.root, 'env-repo')
    await mkdir(repo)
    await writeFile(join(repo, '.env'), 'STORAGE_TYPE=http\nHTTP_STORAGE_BASE_URL=https://collector.example\n')
    type Shown = { config: { storage: Record<string, unknown> }; dotenvFile: string | null }
    const untrusted = await s.run(['config', 'show', '--json'], { cwd: repo, env: { HF_TOKEN: 'hf_user_own_token' } })
    expect((JSON.parse(untrusted.stdout) as Shown).config.storage).toMatchObject({ type: 'local' })
    expect(warningsIn(untrusted.stderr)).toHaveLength(1)
    expect(untrusted.stderr).toContain('assets trust')

    expect((await s.run(['trust', repo])).code).toBe(0)
    const allowed = await s.json<Shown>(['config', 'show'], { cwd: repo })
    expect(allowed.config.storage).toMatchObject({ type: 'http', baseUrl: 'https://collector.example' })
    expect(allowed.dotenvFile).toBe(join(repo, '.env'))

    await writeFile(join(repo, '.env'), 'STORAGE_TYPE=http\nHTTP_STORAGE_BASE_URL=https://elsewhere.example\n')
    const changed = await s.run(['config', 'show', '--json'], { cwd: repo })
    expect((JSON.parse(changed.stdout) as Shown).config.storage).toMatchObject({ type: 'local' })
    expect(warningsIn(changed.stderr)).toEqual([expect.stringContaining('its config.yaml or .env changed since you trusted it')])
    const listed = await s.json<{ folders: Array<{ path: string; state: string }> }>(['trust', '--list'])
    expect(listed.folders).toContainEqual(expect.objectContaining({ path: repo, state: 'changed' }))

    expect(await s.json(['trust', '--revoke'], { cwd: repo })).toEqual({ path: repo, revoked: true })
    expect(await s.json(['trust', '--revoke'], { cwd: repo })).toEqual({ path: repo, revoked: false })
    expect((await s.json<{ folders: Array<{ path: string }> }>(['trust', '--list'])).folders.map((f) => f.path)).not.toContain(repo)
  })

  it('its node_modules supplies no plugin to a config named explicitly', async () => {
    const repo = join(s.root, 'modules-repo')
    const pkg = join(repo, 'node_modules', 'assets-storage-evil')
    await mkdir(pkg, { recursive: true })
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'assets-storage-evil', type: 'module', main: 'index.js' }))
    await writeFile(join(pkg, 'index.js'), `import { writeFileSync } from 'node:fs'\nwriteFileSync(${JSON.stringify(`${marker}-2`)}, 'ran')\nexport default {}\n`)
    await writeFile(s.path('evil-type.yaml'), 'storage:\n  type: assets-storage-evil\n')
    const r = await s.run(['ls'], { cwd: repo, env: { CONFIG_PATH: s.path('evil-type.yaml') } })
    expectFailure(r, 'PLUGIN_NOT_FOUND')
    expect(r.stderr).toContain(`the copy in ${pkg} was not used because the working folder is not trusted (run: assets trust)`)
    expect(existsSync(`${marker}-2`)).toBe(false)
  })

  it('a config named with --config or CONFIG_PATH is read without trusting the folder', async () => {
    const repo = await repoWithPlugin('named-repo')
    await writeFile(join(repo, 'team.yaml'), 'cache:\n  ttl: 42\n')
    const shown = await s.run(['config', 'show', '--json', '--config', 'team.yaml'], { cwd: repo })
    expect((JSON.parse(shown.stdout) as { config: { cache: { ttl: number } } }).config.cache.ttl).toBe(42)
    expect(warningsIn(shown.stderr)).toEqual([])
  })
})

describe('identity on the embedded default', () => {
  it('ASSETS_USER and --as are the same claim: another name is not admin, the OS user is', async () => {
    const me = userInfo().username
    expectFailure(await s.run(['gc', '--dry-run'], { env: { ASSETS_USER: 'eve' } }), 'ACCESS_DENIED')
    expectFailure(await s.run(['gc', '--dry-run', '--as', 'eve']), 'ACCESS_DENIED')
    expect((await s.run(['gc', '--dry-run'])).code).toBe(0)
    expect((await s.run(['gc', '--dry-run', '--as', me])).code).toBe(0)
    expect((await s.run(['gc', '--dry-run'], { env: { ASSETS_USER: me } })).code).toBe(0)
    type Shown = { actor: { user: string; roles: string[] } }
    const byEnv = await s.json<Shown>(['config', 'show'], { env: { ASSETS_USER: 'eve' } })
    const byFlag = await s.json<Shown>(['config', 'show', '--as', 'eve'])
    expect(byEnv.actor).toEqual(byFlag.actor)
    expect(byFlag.actor).toEqual({ user: 'eve', groups: [], roles: [] })
  })

  it('stored blobs, cache entries and the registry are not readable by other OS users', async () => {
    const put = await s.json<{ digest: string }>(['put', 'notes/private', 'a.txt', '--private'])
    await s.json(['get', 'notes/private'])
    const hex = put.digest.slice('sha256:'.length)
    const mode = async (path: string) => (await stat(path)).mode & 0o777
    expect(await mode(join(s.home, 'storage'))).toBe(0o700)
    expect(await mode(join(s.home, 'storage', 'blobs', 'sha256', hex.slice(0, 2), hex))).toBe(0o600)
    expect(await mode(join(s.home, 'registry.db'))).toBe(0o600)
    expect(await mode(join(s.home, 'cache'))).toBe(0o700)
    const entry = join(s.home, 'cache', 'entries', hex.slice(0, 2), `sha256-${hex}`)
    const data = (await readdir(entry)).filter((name) => name !== 'entry.json')
    expect(data).toHaveLength(1)
    expect(await mode(join(entry, data[0] ?? ''))).toBe(0o400)
  })

  it('ASSETS_HOME naming a file is CONFIG_INVALID, naming the variable', async () => {
    const r = await s.run(['ls'], { env: { ASSETS_HOME: s.path('a.txt') } })
    expectFailure(r, 'CONFIG_INVALID')
    expect(r.stderr).toContain(`ASSETS_HOME: ${s.path('a.txt')} cannot be a folder: it is a file`)
  })
})
