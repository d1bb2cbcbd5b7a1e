import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { describe, expect, it } from 'vitest'
import { testStorage } from './fixtures/s3-server.js'

const MiB = 1024 * 1024

async function* oneChunk(bytes: Buffer): AsyncIterable<Uint8Array> {
  yield bytes
}

describe('what a fresh download asks of the server', () => {
  it('an object of one range costs one GET (no HEAD); a larger one a GET per range, the first answer serving the first', async () => {
    const storage = await testStorage({ rangeSize: MiB, rangeConcurrency: 3 })
    const small = randomBytes(3000)
    const large = randomBytes(3 * MiB + 11)
    await storage.upload('small.bin', oneChunk(small))
    await storage.upload('large.bin', oneChunk(large))
    const folder = await temporaryFolder('s3-requests')

    let before = storage.stats.requests
    expect(await storage.download('small.bin', join(folder, 'small.bin'))).toEqual({ size: small.length, digest: sha256(small) })
    expect(storage.stats.requests - before).toBe(1)
    expect((await readFile(join(folder, 'small.bin'))).equals(small)).toBe(true)

    before = storage.stats.requests
    const received = storage.stats.bytesReceived
    expect(await storage.download('large.bin', join(folder, 'large.bin'))).toEqual({ size: large.length, digest: sha256(large) })
    expect(storage.stats.requests - before).toBe(4)
    expect(storage.stats.bytesReceived - received).toBe(large.length)
    expect((await readFile(join(folder, 'large.bin'))).equals(large)).toBe(true)
    await storage.close()
  })

  it('an empty object, which has no first range, is asked for with a HEAD', async () => {
    const storage = await testStorage()
    await storage.upload('empty.bin', oneChunk(Buffer.alloc(0)))
    const destination = join(await temporaryFolder('s3-requests'), 'empty.bin')
    expect(await storage.download('empty.bin', destination)).toEqual({ size: 0, digest: sha256(Buffer.alloc(0)) })
    expect((await readFile(destination)).length).toBe(0)
    await storage.close()
  })
})
