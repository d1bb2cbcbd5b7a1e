import { join } from 'node:path'
import { createLocalCache } from '@assets/cache-local'
import { BaseAssetManager } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'
import { managerSuite, temporaryFolder } from '@assets/testkit'
import { it } from 'vitest'

managerSuite(
  it,
  async (actor) => {
    const home = await temporaryFolder('assets-embedded')
    return new BaseAssetManager(
      {
        storage: createLocalStorage({ path: join(home, 'storage') }),
        registry: createSqliteRegistry({ path: join(home, 'registry.db') }),
        cache: createLocalCache({ path: join(home, 'cache') }),
      },
      actor,
    )
  },
  { name: 'embedded' },
)

managerSuite(
  it,
  async (actor) => {
    const home = await temporaryFolder('assets-metacache')
    return new BaseAssetManager(
      {
        storage: createLocalStorage({ path: join(home, 'storage') }),
        registry: createSqliteRegistry({ path: join(home, 'registry.db') }),
        cache: createLocalCache({ path: join(home, 'cache') }),
        metadataTtl: 300,
      },
      actor,
    )
  },
  { name: 'embedded with cached look-ups' },
)

managerSuite(
  it,
  async (actor) => {
    const home = await temporaryFolder('assets-nocache')
    return new BaseAssetManager(
      {
        storage: createLocalStorage({ path: join(home, 'storage') }),
        registry: createSqliteRegistry({ path: join(home, 'registry.db') }),
        scratchDir: join(home, 'scratch'),
      },
      actor,
    )
  },
  { name: 'embedded without cache', cache: false },
)
