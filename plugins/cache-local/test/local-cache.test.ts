import { rm } from 'node:fs/promises'
import { cacheSuite, temporaryFolder } from '@assets/testkit'
import { afterAll, it } from 'vitest'
import { createLocalCache } from '../src/index.js'

const roots: string[] = []
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })))
})

cacheSuite(it, async () => {
  const root = await temporaryFolder('cache-local')
  roots.push(root)
  return createLocalCache({ path: root })
})
