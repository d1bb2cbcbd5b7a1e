import { rm } from 'node:fs/promises'
import { readOnlyModesHold } from '@assets/core'
import { cacheSuite, temporaryFolder } from '@assets/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { createLocalCache, type LocalCacheOptions } from '../src/index.js'

const roots: string[] = []
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })))
})

function fresh(options: Omit<LocalCacheOptions, 'path'> = {}) {
  return async () => {
    const root = await temporaryFolder('cache-local')
    roots.push(root)
    return createLocalCache({ path: root, ...options })
  }
}

// By default hard links are taken only where the read-only mode stops writes (not as root).
cacheSuite(it, fresh(), { hardlinks: readOnlyModesHold() })

describe('with hardlinks: always', () => {
  cacheSuite(it, fresh({ hardlinks: 'always' }), { hardlinks: true })
})

it('hardlinks: never takes no hard link, whoever runs it', () => {
  expect(createLocalCache({ path: '/nonexistent/never', hardlinks: 'never' }).acceptsHardlinks).toBe(false)
})
