import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalCache } from '@assets/cache-local'
import { type Actor, BaseAssetManager } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { managerSuite, temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HuggingFaceStorage } from '../src/index.js'
import { addUsers, OWNER_TOKEN, storageOn } from './fixtures/hub-fixture.js'
import { type LocalHub, startLocalHub } from './fixtures/hub-server.js'

let hub: LocalHub
const folders: string[] = []
let repoCount = 0

beforeAll(async () => {
  hub = await startLocalHub()
  addUsers(hub)
  // Small enough that the suite's larger blobs go through LFS by size, not only as binary files.
  hub.state.lfsThreshold = 1 << 20
})

afterAll(async () => {
  await hub?.close()
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })))
})

/** A whole stack on the `main` branch of a fresh private model repository, with the owner's token. */
async function hubStack(actor: Actor): Promise<{ manager: BaseAssetManager; storage: HuggingFaceStorage; home: string }> {
  const home = await temporaryFolder('storage-hf-manager')
  folders.push(home)
  const repo = `owner/manager-${++repoCount}`
  hub.state.createRepo('model', repo, 'owner', { private: true })
  const storage = storageOn(hub, { repo, token: OWNER_TOKEN, revision: 'main' })
  const manager = new BaseAssetManager(
    {
      storage,
      registry: createSqliteRegistry({ path: join(home, 'registry.db') }),
      cache: createLocalCache({ path: join(home, 'cache') }),
      scratchDir: join(home, 'scratch'),
    },
    actor,
  )
  return { manager, storage, home }
}

describe('sqlite registry + local cache on a private hub repository', () => {
  managerSuite(it, async (actor) => (await hubStack(actor)).manager, { name: 'sqlite+huggingface+local' })
})

function blobLocation(bytes: Uint8Array): string {
  const hex = createHash('sha256').update(bytes).digest('hex')
  return `blobs/sha256/${hex.slice(0, 2)}/${hex}`
}

describe('a folder asset put through the manager', () => {
  it('is in the repository at the commit the put made: downloadRepository holds its blobs', async () => {
    const { manager, storage, home } = await hubStack({ user: 'alice' })
    try {
      const weights = randomBytes(50_000)
      const config = '{"layers": 2}'
      const source = join(home, 'model')
      await mkdir(join(source, 'weights'), { recursive: true })
      await writeFile(join(source, 'config.json'), config)
      await writeFile(join(source, 'weights', 'model.bin'), weights)
      const put = await manager.put('team/model', source, {}, { kind: 'model' })
      expect(put).toMatchObject({ type: 'folder', fileCount: 2, created: true })
      const commit = await storage.resolveRevision()

      const download = await storage.downloadRepository(join(home, 'checkout'), { revision: commit })
      expect(download.commit).toBe(commit)
      const byPath = new Map(download.files.map((file) => [file.path, file]))
      for (const bytes of [weights, Buffer.from(config)]) {
        const location = blobLocation(bytes)
        const hex = location.slice(location.lastIndexOf('/') + 1)
        expect(byPath.get(location)).toMatchObject({ size: bytes.length, digest: `sha256:${hex}` })
        expect((await readFile(join(home, 'checkout', location))).equals(bytes)).toBe(true)
      }
      // The manifest is a blob too, named by the folder's digest.
      expect(byPath.has(`blobs/sha256/${put.digest.slice(7, 9)}/${put.digest.slice(7)}`)).toBe(true)
      expect(download.files).toHaveLength(3)
    } finally {
      await manager.close()
    }
  })
})
