import { join } from 'node:path'
import { createLocalCache } from '@assets/cache-local'
import { type Actor, BaseAssetManager } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { managerSuite, temporaryFolder } from '@assets/testkit'
import { it } from 'vitest'

/** The embedded stack in a fresh folder: with a cache unless told otherwise. */
function embedded(options: { cache?: boolean; metadataTtl?: number; hardlinks?: 'always' } = {}) {
  return async (actor: Actor) => {
    const home = await temporaryFolder('assets-embedded')
    return new BaseAssetManager(
      {
        storage: createLocalStorage({ path: join(home, 'storage') }),
        registry: createSqliteRegistry({ path: join(home, 'registry.db') }),
        cache: options.cache === false ? null : createLocalCache({ path: join(home, 'cache'), hardlinks: options.hardlinks }),
        scratchDir: join(home, 'scratch'),
        metadataTtl: options.metadataTtl,
      },
      actor,
    )
  }
}

managerSuite(it, embedded(), { name: 'embedded' })
managerSuite(it, embedded({ metadataTtl: 300 }), { name: 'embedded with cached look-ups' })
managerSuite(it, embedded({ cache: false }), { name: 'embedded without cache', cache: false })
// Cache entries that are the stored blobs' own inodes, even as root (see one-copy.test.ts).
managerSuite(it, embedded({ hardlinks: 'always' }), { name: 'embedded with hard links' })
