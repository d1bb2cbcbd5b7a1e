import { rm } from 'node:fs/promises'
import { storageSuite, temporaryFolder } from '@assets/testkit'
import { afterAll, it } from 'vitest'
import { createLocalStorage } from '../src/index.js'

const roots: string[] = []
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })))
})

storageSuite(
  it,
  async () => {
    const root = await temporaryFolder('storage-local')
    roots.push(root)
    return createLocalStorage({ path: root })
  },
  { capabilities: { atomicMove: true }, linkTo: true },
)
