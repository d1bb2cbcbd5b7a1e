import { storageSuite } from '@assets/testkit'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { addUsers, OWNER_TOKEN, seed, storageOn } from './fixtures/hub-fixture.js'
import { type LocalHub, startLocalHub } from './fixtures/hub-server.js'
import type { HubRepo } from './fixtures/hub-state.js'

let hub: LocalHub
let readOnlyRepo: HubRepo

beforeAll(async () => {
  hub = await startLocalHub()
  addUsers(hub)
  // Small enough that the suite's large objects go through LFS by size, not only as binary files.
  hub.state.lfsThreshold = 1 << 20
  hub.state.createRepo('model', 'owner/suite-writable', 'owner', { private: true })
  readOnlyRepo = hub.state.createRepo('dataset', 'owner/suite-read-only', 'owner')
})

afterAll(async () => {
  await hub?.close()
})

describe('a branch of a private model repository, with a token', () => {
  storageSuite(it, () => storageOn(hub, { repo: 'owner/suite-writable', token: OWNER_TOKEN, revision: 'main' }), {
    capabilities: { write: true, delete: true, list: true, range: true, atomicMove: false },
    largeObjectBytes: 3 << 20,
  })
})

describe('a public dataset repository without a token (read-only)', () => {
  storageSuite(it, () => storageOn(hub, { repo: 'owner/suite-read-only', repoType: 'dataset' }), {
    capabilities: { write: false, delete: false, list: true, range: true, atomicMove: false },
    seed: async (location, bytes) => {
      seed(hub, readOnlyRepo, { [location]: bytes })
    },
    largeObjectBytes: 3 << 20,
  })
})
