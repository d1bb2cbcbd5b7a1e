import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AssetConfig, loadPlugin } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { addUsers, expectFailure, OWNER_TOKEN, seed } from './fixtures/hub-fixture.js'
import { type LocalHub, startLocalHub } from './fixtures/hub-server.js'

let hub: LocalHub
let scratch: string

beforeAll(async () => {
  hub = await startLocalHub()
  addUsers(hub)
  const repo = hub.state.createRepo('dataset', 'owner/configured', 'owner', { private: true })
  seed(hub, repo, { 'atlas/cells.csv': 'cell,type\nc1,T\n' })
  scratch = await temporaryFolder('storage-hf-config')
  await writeFile(join(scratch, 'config.yaml'), 'storage:\n  type: huggingface_hub\n  repo: owner/configured\n  repoType: dataset\n')
})
afterAll(async () => {
  await hub?.close()
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true })
})

const importHere = async (): Promise<unknown> => import('../src/index.js')

it('is selected by name from config, with HF_TOKEN as its token, HF_ENDPOINT as its hub and the token never printed', async () => {
  const env = { HF_TOKEN: OWNER_TOKEN, HF_ENDPOINT: hub.url, ALLOW_INSECURE_STORAGE: 'true', ASSETS_HOME: scratch }
  const config = AssetConfig.load({ env, cwd: scratch })
  expect(config.storage).toMatchObject({ type: 'huggingface', repo: 'owner/configured', token: OWNER_TOKEN })
  expect(JSON.stringify(config)).not.toContain(OWNER_TOKEN)
  const storage = await loadPlugin('storage', config.storage, config.pluginContext(), { importer: importHere })
  expect(storage.name).toBe('huggingface')
  expect(storage.capabilities.write).toBe(true)
  const listed: string[] = []
  for await (const object of storage.list('atlas/')) listed.push(object.location)
  expect(listed).toEqual(['atlas/cells.csv'])
  const result = await storage.upload('atlas/extra.bin', (async function* () {
    yield randomBytes(1000)
  })())
  expect(result.versionId).toMatch(/^[0-9a-f]{40}$/)
})

it('without ALLOW_INSECURE_STORAGE the local http hub is refused when the plugin is created', async () => {
  const config = AssetConfig.load({ env: { HF_TOKEN: OWNER_TOKEN, HF_ENDPOINT: hub.url, ASSETS_HOME: scratch }, cwd: scratch })
  const error = await expectFailure(() => loadPlugin('storage', config.storage, config.pluginContext(), { importer: importHere }), 'CONFIG_INVALID')
  expect(String(error)).toContain('ALLOW_INSECURE_STORAGE')
  expect(String(error)).not.toContain(OWNER_TOKEN)
})
