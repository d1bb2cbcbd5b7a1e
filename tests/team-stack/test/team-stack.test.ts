import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createRedisCache } from '@assets/cache-redis'
import { BaseAssetManager } from '@assets/core'
import { createPostgresRegistry } from '@assets/registry-postgres'
import { createLocalStorage } from '@assets/storage-local'
import { managerSuite, temporaryFolder } from '@assets/testkit'
import { inject, it } from 'vitest'

// One registry, one storage and one Redis tier shared by every test, as a team shares them;
// each test gets its own local cache folder, like a worker of its own.
const storageRoot = await temporaryFolder('assets-team-storage')
const redisPrefix = `assets-test:${randomBytes(4).toString('hex')}:`

managerSuite(
  it,
  async (actor) => {
    const worker = await temporaryFolder('assets-team-worker')
    return new BaseAssetManager(
      {
        storage: createLocalStorage({ path: storageRoot }),
        registry: createPostgresRegistry({ host: '127.0.0.1', port: 5432, user: 'postgres', database: inject('pgDatabase') }),
        cache: createRedisCache({ url: 'redis://127.0.0.1:6379', path: join(worker, 'cache'), keyPrefix: redisPrefix }),
        metadataTtl: 300,
      },
      actor,
    )
  },
  { name: 'postgres+redis+local' },
)
