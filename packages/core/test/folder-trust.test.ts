import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AssetConfig, folderTrust, listTrustedFolders, revokeFolder, trustFilePath, trustFolder } from '../src/config/index.js'
import type { Logger } from '../src/contracts/index.js'
import { loadPlugin } from '../src/plugins/plugin-loader.js'
import { PluginSearch } from '../src/plugins/plugin-search.js'

// A user (HOME inside the sandbox) standing in a cloned repository whose config.yaml names a
// plugin file and whose .env points the storage elsewhere.
let sandbox: string
let repo: string
let env: Record<string, string>
let before: string
let warnings: string[]
const logger: Logger = { warn: (message) => warnings.push(message), info: () => {} }

beforeEach(() => {
  sandbox = realpathSync(mkdtempSync(join(tmpdir(), 'assets-trust-')))
  repo = join(sandbox, 'cloned-repo')
  mkdirSync(repo)
  env = { HOME: join(sandbox, 'user'), ASSETS_HOME: join(sandbox, 'assets-home') }
  writeFileSync(join(repo, 'config.yaml'), `storage:\n  type: ${join(repo, 'evil.mjs')}\n`)
  writeFileSync(join(repo, '.env'), 'STORAGE_TYPE=http\nHTTP_STORAGE_BASE_URL=https://collector.example\n')
  warnings = []
  before = process.cwd()
  process.chdir(repo)
})
afterEach(() => {
  process.chdir(before)
  rmSync(sandbox, { recursive: true, force: true })
})

describe('an untrusted working folder', () => {
  it('has its config.yaml and .env left out, with one warning saying how to allow it', () => {
    const config = AssetConfig.load({ env, logger })
    // Neither the plugin file config.yaml names nor the endpoint .env names is selected.
    expect(config.storage).toEqual({ type: 'local', path: join(sandbox, 'assets-home', 'storage') })
    expect(config.configFile).toBeUndefined()
    expect(config.dotenvFile).toBeUndefined()
    expect(config.ignoredFiles).toEqual([join(repo, '.env'), join(repo, 'config.yaml')])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(`ignoring .env and config.yaml in ${repo}: the folder is not trusted`)
    expect(warnings[0]).toContain(`assets trust ${repo}`)
  })

  it('is read once trusted, and left out again when config.yaml or .env changes', () => {
    expect(folderTrust(repo, { env })).toBe('untrusted')
    const entry = trustFolder(repo, { env })
    expect(entry.path).toBe(repo)
    expect(trustFilePath(env)).toBe(join(sandbox, 'user', '.config', 'assets', 'trusted.json'))
    const trusted = AssetConfig.load({ env, logger })
    expect(trusted.storage).toMatchObject({ type: 'http', baseUrl: 'https://collector.example' })
    expect(trusted.ignoredFiles).toEqual([])
    expect(warnings).toEqual([])

    writeFileSync(join(repo, '.env'), 'STORAGE_TYPE=http\nHTTP_STORAGE_BASE_URL=https://other.example\n')
    expect(folderTrust(repo, { env })).toBe('changed')
    expect(listTrustedFolders({ env }).map((f) => [f.path, f.state])).toEqual([[repo, 'changed']])
    const changed = AssetConfig.load({ env, logger })
    expect(changed.storage.type).toBe('local')
    expect(warnings).toEqual([expect.stringContaining('its config.yaml or .env changed since you trusted it')])

    trustFolder(repo, { env })
    expect(AssetConfig.load({ env, logger }).storage).toMatchObject({ baseUrl: 'https://other.example' })
    expect(revokeFolder(repo, { env })).toBe(true)
    expect(revokeFolder(repo, { env })).toBe(false)
    expect(AssetConfig.load({ env, logger }).storage.type).toBe('local')
  })

  it('a file named by CONFIG_PATH or DOTENV_PATH, or a folder named by the code, is read as given', () => {
    const named = AssetConfig.load({ env: { ...env, CONFIG_PATH: 'config.yaml' }, logger })
    expect(named.configFile).toBe(join(repo, 'config.yaml'))
    expect(named.ignoredFiles).toEqual([join(repo, '.env')])
    expect(AssetConfig.load({ env: { ...env, DOTENV_PATH: '.env' }, logger }).storage.type).toBe('http')
    expect(AssetConfig.load({ env, cwd: repo, logger }).storage.type).toBe('http')
  })

  it('its node_modules supplies no plugin; the error says the copy there was not used', async () => {
    const dir = join(repo, 'node_modules', 'assets-storage-evil')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'assets-storage-evil', type: 'module', main: 'index.js' }))
    writeFileSync(join(dir, 'index.js'), 'throw new Error("imported")\n')
    const search = new PluginSearch({ env })
    expect(search.locate('assets-storage-evil')).toBeUndefined()
    const context = AssetConfig.fromObject({}, { env }).pluginContext(logger)
    const error = (await loadPlugin('storage', { type: 'assets-storage-evil' }, context, { importer: search.importer }).catch((e: unknown) => e)) as Error
    expect(error).toMatchObject({ code: 'PLUGIN_NOT_FOUND' })
    expect(error.message).toContain(`the copy in ${dir} was not used because the working folder is not trusted (run: assets trust)`)
    trustFolder(repo, { env })
    expect(search.locate('assets-storage-evil')).toMatchObject({ origin: 'project', dir })
  })
})
