import { randomBytes } from 'node:crypto'
import { createReadStream, rmSync, writeFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../src/digest.js'
import { type RangeReader, rangedDownload } from '../src/transfer/index.js'

const KiB = 1024

/** A source file on disk read by byte ranges, recording what was asked: the backend side of a download. */
async function sourceOf(bytes: Buffer): Promise<{ read: RangeReader; asked: Array<[number, number | undefined]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ranged-source-'))
  const path = join(dir, 'object.bin')
  await writeFile(path, bytes)
  const asked: Array<[number, number | undefined]> = []
  const read: RangeReader = (start, end, signal) => {
    asked.push([start, end])
    return createReadStream(path, { start, end: (end ?? bytes.length) - 1, highWaterMark: 16 * KiB, signal })
  }
  return { read, asked }
}

const settings = (journalDir: string) => ({ rangeSize: 64 * KiB, concurrency: 4, journalDir, label: 'test' })

describe('rangedDownload', () => {
  it('fetches ranges in parallel, writes each at its offset, and hashes the whole object in order', async () => {
    const bytes = randomBytes(300 * KiB + 7)
    const { read, asked } = await sourceOf(bytes)
    const dir = await mkdtemp(join(tmpdir(), 'ranged-dest-'))
    const destination = join(dir, 'out.bin')
    const result = await rangedDownload({ name: 'object', size: bytes.length, version: 'v1' }, read, destination, settings(join(dir, 'journals')))
    expect(result).toEqual({ size: bytes.length, digest: sha256(bytes), fresh: true, fetched: bytes.length })
    expect((await readFile(destination)).equals(bytes)).toBe(true)
    expect(asked.map(([start]) => start).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4].map((i) => i * 64 * KiB))
    expect(await readdir(join(dir, 'journals'))).toEqual([])
  })

  it('without a version to pin ranges to, reads one stream from the start', async () => {
    const bytes = randomBytes(200 * KiB)
    const { read, asked } = await sourceOf(bytes)
    const dir = await mkdtemp(join(tmpdir(), 'ranged-dest-'))
    const result = await rangedDownload({ name: 'object', size: bytes.length }, read, join(dir, 'out.bin'), settings(join(dir, 'journals')))
    expect(result.digest).toBe(sha256(bytes))
    expect(asked).toEqual([[0, bytes.length]])
  })

  it('a resumed prefix is kept as it is and only the rest is read', async () => {
    const bytes = randomBytes(100 * KiB)
    const { read, asked } = await sourceOf(bytes)
    const dir = await mkdtemp(join(tmpdir(), 'ranged-dest-'))
    const destination = join(dir, 'out.bin')
    await writeFile(destination, bytes.subarray(0, 40 * KiB))
    const result = await rangedDownload({ name: 'object', size: bytes.length, version: 'v1' }, read, destination, settings(join(dir, 'journals')), {
      resume: true,
    })
    expect(result).toMatchObject({ digest: sha256(bytes), fresh: false, fetched: 60 * KiB })
    expect(asked).toEqual([[40 * KiB, bytes.length]])
  })

  it('a journal that can no longer be written fails the download, with no rejection left unhandled, although ranges do not wait for it', async () => {
    const bytes = randomBytes(300 * KiB)
    const { read } = await sourceOf(bytes)
    const dir = await mkdtemp(join(tmpdir(), 'ranged-dest-'))
    const journals = join(dir, 'journals')
    let broken = false
    // Once the first journal is written, its folder becomes a file (in one step, so that no
    // journal write slips in between): every later rewrite fails.
    const breaking: RangeReader = async function* (start, end, signal) {
      if (start > 0 && !broken) {
        broken = true
        rmSync(journals, { recursive: true, force: true })
        writeFileSync(journals, 'not a folder')
      }
      yield* read(start, end, signal)
    }
    await expect(rangedDownload({ name: 'object', size: bytes.length, version: 'v1' }, breaking, join(dir, 'out.bin'), settings(journals))).rejects.toMatchObject({
      code: expect.stringMatching(/^(EEXIST|ENOTDIR|ENOENT)$/),
    })
  })

  it('refuses a source that sends more than the range asked for, or fewer bytes than the object has', async () => {
    const bytes = randomBytes(100 * KiB)
    const dir = await mkdtemp(join(tmpdir(), 'ranged-dest-'))
    const tooMuch: RangeReader = async function* () {
      yield bytes
    }
    await expect(rangedDownload({ name: 'object', size: bytes.length, version: 'v1' }, tooMuch, join(dir, 'a.bin'), settings(join(dir, 'j')))).rejects.toMatchObject({
      code: 'INTEGRITY_ERROR',
      message: expect.stringMatching(/sent more than the bytes/),
    })
    const tooLittle: RangeReader = async function* (start, end) {
      yield bytes.subarray(start, Math.min(end ?? bytes.length, start + 10))
    }
    const destination = join(dir, 'b.bin')
    await expect(rangedDownload({ name: 'object', size: bytes.length, version: 'v1' }, tooLittle, destination, settings(join(dir, 'j')))).rejects.toMatchObject({
      code: 'INTEGRITY_ERROR',
      message: expect.stringMatching(/ended at byte/),
    })
    // Never a file of full size that is not the object.
    expect((await stat(destination)).size).toBeLessThan(bytes.length)
  })
})
