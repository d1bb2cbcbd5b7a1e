import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Storage } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { createBranch, createRepo, whoAmI } from '@huggingface/hub'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { addUsers, expectFailure, OTHER_TOKEN, OWNER_TOKEN, seed, storageOn } from './fixtures/hub-fixture.js'
import { type LocalHub, startLocalHub } from './fixtures/hub-server.js'

let hub: LocalHub
let scratch: string

beforeAll(async () => {
  hub = await startLocalHub()
  addUsers(hub)
})
afterAll(async () => {
  await hub?.close()
})
beforeEach(async () => {
  scratch = await temporaryFolder('storage-hf-writes')
})
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true })
})

async function readAll(storage: Storage, location: string): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of storage.open(location)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

describe('writes', () => {
  it("a repository created with the client's createRepo, as whoAmI's user, takes uploads", async () => {
    expect((await whoAmI({ hubUrl: hub.url, accessToken: OTHER_TOKEN })).name).toBe('other')
    await createRepo({ repo: { type: 'dataset', name: 'other/fresh' }, hubUrl: hub.url, accessToken: OTHER_TOKEN, private: true })
    const storage = storageOn(hub, { repo: 'other/fresh', repoType: 'dataset', token: OTHER_TOKEN })
    const bytes = randomBytes(3000)
    await writeFile(join(scratch, 'cells.bin'), bytes)
    await storage.upload('raw/cells.bin', join(scratch, 'cells.bin'))
    expect((await readAll(storage, 'raw/cells.bin')).equals(bytes)).toBe(true)
    expect(hub.state.repo('dataset', 'other/fresh')?.private).toBe(true)
    await expectFailure(() => storageOn(hub, { repo: 'other/fresh', repoType: 'dataset' }).stat('raw/cells.bin'), 'ACCESS_DENIED')
  })

  it("writes to another branch (made with the client's createBranch) leave main as it was", async () => {
    const repo = hub.state.createRepo('model', 'owner/branches', 'owner')
    seed(hub, repo, { 'config.json': '{"v": 1}' })
    const mainHead = hub.state.commitAt(repo, 'main').id
    await createBranch({ repo: 'owner/branches', branch: 'experiment', hubUrl: hub.url, accessToken: OWNER_TOKEN })
    const experiment = storageOn(hub, { repo: 'owner/branches', token: OWNER_TOKEN, revision: 'experiment' })
    await writeFile(join(scratch, 'config.json'), '{"v": 2}')
    await experiment.upload('config.json', join(scratch, 'config.json'))
    expect((await readAll(experiment, 'config.json')).toString()).toBe('{"v": 2}')
    const main = storageOn(hub, { repo: 'owner/branches' })
    expect((await readAll(main, 'config.json')).toString()).toBe('{"v": 1}')
    expect(await main.resolveRevision()).toBe(mainHead)
  })

  it('an upload is a commit on the branch: small text inline, binary through LFS; the result names the commit', async () => {
    const repo = hub.state.createRepo('model', 'owner/writes', 'owner')
    const storage = storageOn(hub, { repo: 'owner/writes', token: OWNER_TOKEN })
    await writeFile(join(scratch, 'config.yaml'), 'lr: 0.1\n')
    const small = await storage.upload('configs/config.yaml', join(scratch, 'config.yaml'))
    // A NUL byte in the first 512 makes it binary, which the hub stores in LFS whatever its size.
    const binary = Buffer.concat([Buffer.alloc(1), randomBytes(4095)])
    await writeFile(join(scratch, 'w.bin'), binary)
    const before = hub.requests.length
    const large = await storage.upload('weights/w.bin', join(scratch, 'w.bin'))
    const head = hub.state.commitAt(repo, 'main')
    expect(large.versionId).toBe(head.id)
    expect(small.versionId).toBe(head.parent)
    expect(await storage.resolveRevision()).toBe(head.id)
    expect(head.files.get('configs/config.yaml')?.lfs).toBeUndefined()
    expect(head.files.get('weights/w.bin')?.lfs?.oid).toBe(large.digest.slice('sha256:'.length))
    const lfsCalls = hub.requests.slice(before)
    expect(lfsCalls).toContain('POST /owner/writes.git/info/lfs/objects/batch')
    expect(lfsCalls.some((r) => r.startsWith('PUT /lfs-upload/'))).toBe(true)
    // The same bytes at another path: the hub has the LFS object, so nothing is uploaded again.
    const puts = (): number => hub.requests.filter((r) => r.startsWith('PUT /lfs-upload/')).length
    const putsBefore = puts()
    const copy = await storage.upload('weights/copy.bin', join(scratch, 'w.bin'))
    expect(copy.digest).toBe(large.digest)
    expect(puts()).toBe(putsBefore)
    // Deleting is a commit too; the file is gone at the new head but still in the old commit.
    await storage.delete('weights/w.bin')
    expect(hub.state.commitAt(repo, 'main').files.has('weights/w.bin')).toBe(false)
    expect(hub.state.commitAt(repo, head.id).files.has('weights/w.bin')).toBe(true)
    const old = storage.atRevision(head.id)
    expect((await readAll(old, 'weights/w.bin')).equals(binary)).toBe(true)
  })
})
