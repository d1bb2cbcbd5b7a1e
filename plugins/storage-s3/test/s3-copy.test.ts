import { randomBytes } from 'node:crypto'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { blobLocation, sha256 } from '@assets/core'
import { describe, expect, it } from 'vitest'
import { rawClient, readAll, server, testStorage } from './fixtures/s3-server.js'

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes
}

describe('S3Storage.copy (CopyObject inside the bucket)', () => {
  it('copies an object, replacing one at the target, and keeps its recorded sha256', async () => {
    const storage = await testStorage()
    try {
      const bytes = randomBytes(300_000)
      const digest = sha256(bytes)
      await storage.upload('staging/copy-source', once(bytes), { digest, size: bytes.length })
      const target = blobLocation(digest)
      await storage.upload(target, once(Buffer.from('an older object')))
      await storage.copy('staging/copy-source', target)
      expect(Buffer.from(await readAll(storage.open(target))).equals(bytes)).toBe(true)
      // The source stays: copy is not move.
      expect((await storage.stat('staging/copy-source'))?.size).toBe(bytes.length)
      const client = rawClient()
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: server().bucket, Key: `${storage.prefix}${target}` }))
        expect(head.Metadata?.sha256).toBe(digest.slice('sha256:'.length))
      } finally {
        client.destroy()
      }
    } finally {
      await storage.close()
    }
  })

  it('refuses a missing source with NotFoundError, and s3:// references', async () => {
    const storage = await testStorage()
    try {
      await expect(storage.copy('staging/never-was', 'staging/copy-target')).rejects.toMatchObject({ code: 'ASSET_NOT_FOUND' })
      expect(await storage.stat('staging/copy-target')).toBeNull()
      await expect(storage.copy(`s3://${server().bucket}/x`, 'staging/copy-target')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
      await expect(storage.copy('../escape', 'staging/copy-target')).rejects.toMatchObject({ code: expect.stringMatching(/^INVALID_/) })
    } finally {
      await storage.close()
    }
  })
})
