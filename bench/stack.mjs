import { join } from 'node:path'
import { createLocalCache } from '@assets/cache-local'
import { BaseAssetManager } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'

/** The embedded default stack under one folder, as `assets` builds it with nothing configured. */
export function openStack(home) {
  return new BaseAssetManager(
    {
      storage: createLocalStorage({ path: join(home, 'storage') }),
      registry: createSqliteRegistry({ path: join(home, 'registry.db') }),
      cache: createLocalCache({ path: join(home, 'cache') }),
    },
    { user: 'bench' },
  )
}
