import { createHash, randomBytes } from 'node:crypto'
import { appendFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { temporaryFolder } from '@assets/testkit'
import { describe, expect, it } from 'vitest'
import { FileParts } from '../src/file-parts.js'
import { UploadMemory } from '../src/upload-memory.js'

async function fileOf(bytes: Buffer): Promise<string> {
  const path = join(await temporaryFolder('file-parts'), 'source.bin')
  await writeFile(path, bytes)
  return path
}

describe('FileParts: a file read into reused part buffers', () => {
  it('yields exact parts and hashes every byte, never holding more buffers than its budget has room for', async () => {
    const bytes = randomBytes(10 * 1000 + 7)
    const pool = new FileParts(await fileOf(bytes), bytes.length, 1000, new UploadMemory(2000, 1000))
    const hash = createHash('sha256')
    const seen: Buffer[] = []
    const buffers = new Set<ArrayBufferLike>()
    const reading = pool.read(hash)
    const first = await reading.next()
    const second = await reading.next()
    expect(first.done || second.done).toBe(false)
    // Both buffers are out: the third part waits until one comes back.
    let third: IteratorResult<Buffer> | undefined
    const pending = reading.next().then((r) => {
      third = r
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(third).toBeUndefined()
    for (const part of [first.value, second.value] as Buffer[]) {
      seen.push(Buffer.from(part))
      buffers.add(part.buffer)
      pool.release(part)
    }
    await pending
    let next = third as IteratorResult<Buffer>
    while (!next.done) {
      seen.push(Buffer.from(next.value))
      buffers.add(next.value.buffer)
      pool.release(next.value)
      next = await reading.next()
    }
    expect(seen.map((p) => p.length)).toEqual([...Array(10).fill(1000), 7])
    expect(Buffer.concat(seen).equals(bytes)).toBe(true)
    expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(buffers.size).toBe(2)
  })

  it('refuses a file that shrinks or grows while it is read', async () => {
    const bytes = randomBytes(5000)
    for (const change of [(path: string) => truncate(path, 2500), (path: string) => appendFile(path, 'more')]) {
      const path = await fileOf(bytes)
      const pool = new FileParts(path, bytes.length, 1000, new UploadMemory(8000, 1000))
      const reading = pool.read(createHash('sha256'))
      await reading.next()
      await change(path)
      await expect(
        (async () => {
          for await (const part of reading) pool.release(part)
        })(),
      ).rejects.toMatchObject({ code: 'INTEGRITY_ERROR', message: expect.stringMatching(/changed size while it was being uploaded/) })
    }
  })
})
