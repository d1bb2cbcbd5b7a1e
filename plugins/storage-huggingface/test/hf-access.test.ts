import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { type Storage, sha256, Value } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import plugin, { createHuggingFaceStorage } from '../src/index.js'
import { addUsers, everythingPrinted, expectFailure, OTHER_TOKEN, OWNER_TOKEN, seed, storageOn } from './fixtures/hub-fixture.js'
import { type LocalHub, startLocalHub } from './fixtures/hub-server.js'
import type { HubRepo } from './fixtures/hub-state.js'

let hub: LocalHub
let scratch: string
let privateRepo: HubRepo
let gatedRepo: HubRepo
const printed: string[] = []

beforeAll(async () => {
  hub = await startLocalHub()
  addUsers(hub)
  privateRepo = hub.state.createRepo('model', 'owner/private-model', 'owner', { private: true })
  seed(hub, privateRepo, { 'weights.bin': randomBytes(1000), 'config.json': '{}' })
  gatedRepo = hub.state.createRepo('dataset', 'owner/gated-cells', 'owner', { gated: true })
  seed(hub, gatedRepo, { 'cells.h5ad': randomBytes(2000) })
})
afterAll(async () => {
  await hub?.close()
  // Every error raised in this file, printed every way it could be: no token may show.
  const all = printed.join('\n')
  expect(all.length).toBeGreaterThan(0)
  expect(all).not.toContain(OWNER_TOKEN)
  expect(all).not.toContain(OTHER_TOKEN)
})
beforeEach(async () => {
  scratch = await temporaryFolder('storage-hf-access')
})
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true })
})

/** Asserts the code, keeps everything the error prints for the token check, and returns its message. */
async function failure(action: () => unknown, code: Parameters<typeof expectFailure>[1]): Promise<string> {
  const error = await expectFailure(action, code)
  printed.push(everythingPrinted(error))
  return (error as Error).message
}

async function readAll(storage: Storage, location: string): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of storage.open(location)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

describe('private repositories', () => {
  it('without a token: AccessDeniedError naming the repository and revision, for every read', async () => {
    const storage = storageOn(hub, { repo: 'owner/private-model' })
    const message = await failure(() => storage.stat('config.json'), 'ACCESS_DENIED')
    expect(message).toContain('model owner/private-model at revision main')
    expect(message).toContain('HF_TOKEN')
    await failure(() => readAll(storage, 'config.json'), 'ACCESS_DENIED')
    await failure(() => storage.download('weights.bin', join(scratch, 'w.bin')), 'ACCESS_DENIED')
    await failure(async () => {
      for await (const _ of storage.list('')) break
    }, 'ACCESS_DENIED')
    await failure(() => storage.downloadRepository(join(scratch, 'repo')), 'ACCESS_DENIED')
  })

  it("with another user's token the repository is not found; with the owner's it reads", async () => {
    const other = storageOn(hub, { repo: 'owner/private-model', token: OTHER_TOKEN })
    expect(await failure(() => other.stat('config.json'), 'ASSET_NOT_FOUND')).toContain('owner/private-model')
    const owner = storageOn(hub, { repo: 'owner/private-model', token: OWNER_TOKEN })
    expect((await owner.stat('weights.bin'))?.size).toBe(1000)
    expect((await readAll(owner, 'config.json')).toString()).toBe('{}')
  })

  it('a token the hub does not know is refused with AccessDeniedError, and writes need the owner', async () => {
    const unknown = storageOn(hub, { repo: 'owner/private-model', token: 'hf_revokedTokenNobodyHas000000000' })
    await failure(() => unknown.stat('config.json'), 'ACCESS_DENIED')
    const other = storageOn(hub, { repo: 'owner/gated-cells', repoType: 'dataset', token: OTHER_TOKEN })
    await failure(() => other.upload('new.txt', join(scratch, 'missing')), 'INVALID_INPUT')
    await writeFile(join(scratch, 'new.txt'), 'hello')
    await failure(() => other.upload('new.txt', join(scratch, 'new.txt')), 'ACCESS_DENIED')
    expect(hub.state.commitAt(gatedRepo, 'main').files.has('new.txt')).toBe(false)
  })
})

describe('gated repositories', () => {
  it('refuse file content with an AccessDeniedError that says the repository is gated, until access is granted', async () => {
    const anonymous = storageOn(hub, { repo: 'owner/gated-cells', repoType: 'dataset' })
    // Metadata stays public, as on the hub.
    expect((await anonymous.stat('cells.h5ad'))?.size).toBe(2000)
    expect(await failure(() => readAll(anonymous, 'cells.h5ad'), 'ACCESS_DENIED')).toMatch(/gated.*HF_TOKEN/)
    const notGranted = storageOn(hub, { repo: 'owner/gated-cells', repoType: 'dataset', token: OTHER_TOKEN })
    const message = await failure(() => notGranted.download('cells.h5ad', join(scratch, 'cells.h5ad')), 'ACCESS_DENIED')
    expect(message).toContain('gated')
    expect(message).toContain('dataset owner/gated-cells at revision main')
    await failure(() => notGranted.downloadRepository(join(scratch, 'all')), 'ACCESS_DENIED')
    gatedRepo.granted.add('other')
    expect((await notGranted.download('cells.h5ad', join(scratch, 'cells.h5ad'))).size).toBe(2000)
  })
})

describe('missing repositories, revisions and files', () => {
  it('a missing revision is NotFoundError naming it, for reads and whole-repository downloads', async () => {
    const storage = storageOn(hub, { repo: 'owner/private-model', token: OWNER_TOKEN, revision: 'no-such-branch' })
    expect(await failure(() => storage.stat('config.json'), 'ASSET_NOT_FOUND')).toContain('no-such-branch')
    await failure(() => readAll(storage, 'config.json'), 'ASSET_NOT_FOUND')
    await failure(async () => {
      for await (const _ of storage.list('')) break
    }, 'ASSET_NOT_FOUND')
    const owner = storageOn(hub, { repo: 'owner/private-model', token: OWNER_TOKEN })
    expect(await failure(() => owner.downloadRepository(join(scratch, 'x'), { revision: 'v9.9.9' }), 'ASSET_NOT_FOUND')).toContain('v9.9.9')
    expect(await failure(() => owner.upload('a.txt', join(scratch, 'a.txt')), 'INVALID_INPUT')).toContain('a.txt')
  })

  it('a missing repository is NotFoundError with a token; a missing file is null for stat and NotFoundError for reads', async () => {
    const missing = storageOn(hub, { repo: 'owner/never-created', token: OWNER_TOKEN })
    expect(await failure(() => missing.stat('x'), 'ASSET_NOT_FOUND')).toContain('owner/never-created')
    const owner = storageOn(hub, { repo: 'owner/private-model', token: OWNER_TOKEN })
    expect(await owner.stat('nothing/here.bin')).toBeNull()
    expect(await failure(() => readAll(owner, 'nothing/here.bin'), 'ASSET_NOT_FOUND')).toContain('nothing/here.bin')
  })
})

describe('configuration', () => {
  it('refuses plain http unless insecure storage is allowed, and never prints the token', async () => {
    const message = await failure(() => createHuggingFaceStorage({ repo: 'owner/x', endpoint: hub.url, token: OWNER_TOKEN }), 'CONFIG_INVALID')
    expect(message).toContain('ALLOW_INSECURE_STORAGE')
    const badToken = await failure(() => createHuggingFaceStorage({ repo: 'owner/x', token: 'not-a-token-secret' }), 'CONFIG_INVALID')
    expect(badToken).toContain('huggingface.token')
    expect(badToken).not.toContain('not-a-token-secret')
    await failure(() => createHuggingFaceStorage({ repo: '../escape' }), 'CONFIG_INVALID')
  })

  it('printing a storage shows where it points, never its token', () => {
    const storage = storageOn(hub, { repo: 'owner/private-model', token: OWNER_TOKEN })
    for (const shown of [JSON.stringify(storage), inspect(storage, { depth: 10, showHidden: true }), String(inspect(storage))]) {
      expect(shown).toContain('owner/private-model')
      expect(shown).not.toContain(OWNER_TOKEN)
    }
    expect(storage.describe()).toEqual({ repo: 'owner/private-model', repoType: 'model', revision: 'main', endpoint: hub.url, authenticated: true })
  })

  it('the plugin reads HF_ENDPOINT from the environment and the insecure flag from its context', async () => {
    expect(Value.Check(plugin.options, { repo: 'owner/private-model', token: OWNER_TOKEN })).toBe(true)
    expect(Value.Check(plugin.options, { repo: 'owner/x', repoType: 'bucket' })).toBe(false)
    const context = { dataDir: scratch, cacheDir: scratch, allowInsecureStorage: true, logger: { warn() {} }, env: { HF_ENDPOINT: hub.url } }
    const storage = plugin.create({ repo: 'owner/private-model', token: OWNER_TOKEN }, context)
    expect((await storage.stat('config.json'))?.size).toBe(2)
    expect(() => plugin.create({ repo: 'owner/private-model' }, { ...context, allowInsecureStorage: false })).toThrow(/ALLOW_INSECURE_STORAGE/)
    // Creating does no I/O: nothing was asked of the hub for an unreachable endpoint.
    plugin.create({ repo: 'owner/x' }, { ...context, env: { HF_ENDPOINT: 'https://hub.invalid' } })
  })

  it('declares write only with a token on a branch; tags, commits and readOnly refuse writes', async () => {
    const commit = hub.state.commitAt(privateRepo, 'main').id
    privateRepo.tags.set('paper-2025', commit)
    const configs = [
      { repo: 'owner/private-model' },
      { repo: 'owner/private-model', token: OWNER_TOKEN, revision: commit },
      { repo: 'owner/private-model', token: OWNER_TOKEN, revision: 'v1.0.0' },
      { repo: 'owner/private-model', token: OWNER_TOKEN, readOnly: true },
    ]
    await writeFile(join(scratch, 'f.txt'), 'x')
    for (const config of configs) {
      const storage = storageOn(hub, config)
      expect(storage.capabilities).toMatchObject({ write: false, delete: false, list: true, range: true, atomicMove: false })
      await failure(() => storage.upload('f.txt', join(scratch, 'f.txt')), 'UNSUPPORTED_OPERATION')
      await failure(() => storage.delete('config.json'), 'UNSUPPORTED_OPERATION')
    }
    // A tag whose name is not a version is only known as a tag by asking the hub, before any commit.
    const tag = storageOn(hub, { repo: 'owner/private-model', token: OWNER_TOKEN, revision: 'paper-2025' })
    expect(tag.capabilities.write).toBe(true)
    expect(await failure(() => tag.upload('f.txt', join(scratch, 'f.txt')), 'UNSUPPORTED_OPERATION')).toContain('paper-2025 is a tag')
    expect(hub.state.commitAt(privateRepo, 'main').id).toBe(commit)
  })
})

describe('registration by reference (describeExternal)', () => {
  it('hashes a file named by its hf:// URI in one read and reports the hub digest stat gives', async () => {
    const repo = hub.state.createRepo('dataset', 'owner/referenced', 'owner')
    const table = Buffer.concat([Buffer.alloc(1), randomBytes(5000)])
    seed(hub, repo, { 'tables/t.parquet': table, 'README.md': 'about' })
    const storage = storageOn(hub, { repo: 'owner/referenced', repoType: 'dataset' })
    const described = await storage.describeExternal('hf://datasets/owner/referenced/tables/t.parquet')
    expect(described).toMatchObject({ location: 'tables/t.parquet', size: table.length, digest: sha256(table) })
    expect(described.versionId).toBe(hub.state.commitAt(repo, 'main').id)
    expect(described.etag).toBe((await storage.stat('tables/t.parquet'))?.etag)
    const readme = await storage.describeExternal('hf://datasets/owner/referenced@main/README.md')
    expect(readme).toMatchObject({ location: 'README.md', size: 5, digest: sha256('about') })
    await failure(() => storage.describeExternal('hf://owner/referenced/README.md'), 'INVALID_INPUT')
    await failure(() => storage.describeExternal('hf://datasets/owner/referenced@v1.0.0/README.md'), 'INVALID_INPUT')
    await failure(() => storage.describeExternal('s3://bucket/README.md'), 'INVALID_INPUT')
    await failure(() => storage.describeExternal('hf://datasets/owner/referenced/../x'), 'INVALID_KEY')
    await failure(() => storage.describeExternal('hf://datasets/owner/referenced/missing.csv'), 'ASSET_NOT_FOUND')
  })
})

describe('an overloaded or unreachable hub', () => {
  it('reads are retried through a few 503 answers, then fail with BackendUnavailableError', async () => {
    const owner = storageOn(hub, { repo: 'owner/private-model', token: OWNER_TOKEN })
    hub.state.failNext = 2
    expect((await readAll(owner, 'config.json')).toString()).toBe('{}')
    expect(hub.state.failNext).toBe(0)
    hub.state.failNext = 50
    expect(await failure(() => owner.stat('config.json'), 'BACKEND_UNAVAILABLE')).toContain('503')
    hub.state.failNext = 0
  })

  it('a hub nobody listens on is BackendUnavailableError naming the endpoint', async () => {
    const closed = await startLocalHub()
    await closed.close()
    const storage = createHuggingFaceStorage({ repo: 'owner/x', endpoint: closed.url }, { allowInsecureStorage: true })
    expect(await failure(() => storage.stat('a'), 'BACKEND_UNAVAILABLE')).toContain(closed.url)
  })
})
