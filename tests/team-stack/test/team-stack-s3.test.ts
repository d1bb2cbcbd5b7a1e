import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createRedisCache } from '@assets/cache-redis'
import { BaseAssetManager } from '@assets/core'
import { createPostgresRegistry } from '@assets/registry-postgres'
import { createS3Storage } from '@assets/storage-s3'
import { managerSuite, temporaryFolder } from '@assets/testkit'
import { inject, it } from 'vitest'

// The stack a team grows into: PostgreSQL, an S3 bucket (Ceph's RADOS Gateway here) and Redis,
// each worker with a local cache of its own. Its own registry schema, bucket prefix and Redis
// prefix, so verify and gc see only what this file stored.
const s3 = inject('s3')
const prefix = `team-${randomBytes(4).toString('hex')}`
const redisPrefix = `assets-test-s3:${randomBytes(4).toString('hex')}:`
const journalDir = await temporaryFolder('assets-team-s3-journal')

managerSuite(
  it,
  async (actor) => {
    const worker = await temporaryFolder('assets-team-s3-worker')
    return new BaseAssetManager(
      {
        // Plain http:// on loopback: insecure storage is allowed here, explicitly.
        storage: createS3Storage(
          {
            bucket: s3.bucket,
            prefix,
            region: s3.region,
            endpoint: s3.endpoint,
            accessKeyId: s3.accessKeyId,
            secretAccessKey: s3.secretAccessKey,
            forcePathStyle: true,
            journalDir,
          },
          { allowInsecureStorage: true },
        ),
        registry: createPostgresRegistry({ host: '127.0.0.1', port: 5432, user: 'postgres', database: inject('pgDatabase'), schema: 'assets_s3' }),
        cache: createRedisCache({ url: 'redis://127.0.0.1:6379', path: join(worker, 'cache'), keyPrefix: redisPrefix }),
        metadataTtl: 300,
      },
      actor,
    )
  },
  { name: 'postgres+redis+s3' },
)
