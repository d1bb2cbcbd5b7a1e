import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, realpathSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

const run = promisify(execFile)
const WORKSPACE = fileURLToPath(new URL('../../..', import.meta.url))
/**
 * The command and every package it ships, packed as they would be published: the CLI and its
 * workspace dependencies (and theirs), read from the manifests so that a new plugin is in.
 */
async function shippedPackages(): Promise<string[]> {
  const folders = new Map<string, string>()
  for (const group of ['packages', 'plugins', 'apps']) {
    for (const name of await readdir(join(WORKSPACE, group))) {
      const manifest = join(WORKSPACE, group, name, 'package.json')
      if (existsSync(manifest)) folders.set(JSON.parse(await readFile(manifest, 'utf8')).name, join(group, name))
    }
  }
  const shipped = new Set<string>()
  const visit = async (folder: string): Promise<void> => {
    if (shipped.has(folder)) return
    shipped.add(folder)
    const manifest = JSON.parse(await readFile(join(WORKSPACE, folder, 'package.json'), 'utf8'))
    for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      const local = folders.get(name)
      if (local && String(range).startsWith('workspace:')) await visit(local)
    }
  }
  await visit('apps/cli')
  return [...shipped]
}

let root: string
let bin: string

/** The headers of the Node running this test, as the workspace's .pnpmfile.mjs finds them. */
function nodeHeadersArgs(): string[] {
  const prefix = dirname(dirname(process.execPath))
  return existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : []
}

// npm's own layout (packages hoisted into one node_modules), from tarballs: nothing of the
// workspace's node_modules is visible, only what the packed manifests declare.
beforeAll(async () => {
  root = realpathSync(await mkdtemp(join(tmpdir(), 'assets-npm-install-')))
  const packs = join(root, 'packs')
  await mkdir(packs)
  for (const pkg of await shippedPackages()) await run('pnpm', ['pack', '--pack-destination', packs], { cwd: join(WORKSPACE, pkg) })
  const project = join(root, 'install')
  await mkdir(project)
  // npm 11 runs a dependency's install script only when allowed; better-sqlite3 builds there.
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'assets-install', private: true, allowScripts: { 'better-sqlite3': true } }))
  const tarballs = (await readdir(packs)).map((name) => join(packs, name))
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...nodeHeadersArgs(), ...tarballs], {
    cwd: project,
    maxBuffer: 64 << 20,
    timeout: 480_000,
  })
  bin = join(project, 'node_modules', '.bin', 'assets')
}, 600_000)
afterAll(() => rm(root, { recursive: true, force: true }))

describe('the command installed with npm from its packed packages', () => {
  const assets = async (args: string[], env: Record<string, string> = {}) => {
    const work = join(root, 'work')
    await mkdir(work, { recursive: true })
    const { stdout } = await run(bin, [...args, '--json'], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: root, ASSETS_HOME: join(root, 'home'), ...env },
    })
    return JSON.parse(stdout) as Record<string, unknown>
  }

  it('finds every built-in backend next to itself', async () => {
    const { plugins } = (await assets(['plugins'])) as { plugins: Array<{ packageName: string; origin: string; path: string }> }
    // Every backend plugin the command ships (storage, cache, registry), each found once.
    // The asset server's client is both a registry (@assets/remote) and a storage (its /storage subpath).
    const backends = (await shippedPackages()).filter((f) => /^plugins\/(storage|cache|registry)-/.test(f)).map((f) => `@assets/${f.slice('plugins/'.length)}`)
    expect(plugins.map((p) => p.packageName).sort()).toEqual([...backends, '@assets/remote', '@assets/remote/storage'].sort())
    for (const p of plugins) {
      expect(p.origin).toBe('bundled')
      expect(p.path).toBe(join(root, 'install', 'node_modules', p.packageName.replace(/\/storage$/, '')))
    }
  })

  it('puts and gets through PostgreSQL, selected by DB_TYPE', async () => {
    const bytes = randomBytes(4096)
    await mkdir(join(root, 'work'), { recursive: true })
    await writeFile(join(root, 'work', 'a.bin'), bytes)
    const env = { DB_TYPE: 'PostgreSQL', DB_HOST: '127.0.0.1', DB_USER: 'postgres', DB_NAME: inject('pgDatabase') }
    const key = `npm/${randomBytes(3).toString('hex')}`
    const put = await assets(['put', key, 'a.bin'], env)
    const got = (await assets(['get', `${key}@${String(put.version)}`], env)) as { path: string }
    expect(createHash('sha256').update(await readFile(got.path)).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'))
  })
})
