import { randomBytes } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { sha256, type TransferProgress } from '@assets/core'
import { expect } from 'vitest'
import { readAll } from './byte-streams.js'
import { expectAborted, expectFailure } from './expect-failure.js'
import type { StorageTest } from './storage-case.js'

/** Reading: stat, open (whole and ranged), download (fresh and resumed), missing objects, aborts. */
export function storageReadCases(test: StorageTest, options: { largeObjectBytes: number; range: boolean }): void {
  if (options.range) rangeCases(test, options)
  else refusedRangeCases(test)

  test('stat describes an object, and is null where there is none', async ({ storage, place, location }) => {
    const at = location()
    expect(await storage.stat(at)).toBeNull()
    await place(at, randomBytes(777))
    const info = await storage.stat(at)
    expect(info).toMatchObject({ location: at, size: 777 })
    if (info?.lastModified !== undefined) expect(info.lastModified).toBeInstanceOf(Date)
  })

  test('open streams the whole object', async ({ storage, place, location }) => {
    const bytes = randomBytes(100_000)
    const at = location()
    await place(at, bytes)
    expect((await readAll(storage.open(at))).equals(bytes)).toBe(true)
  })

  test('open and download of a missing object fail with NotFoundError', async ({ storage, scratch, location }) => {
    const at = location()
    await expectFailure(() => readAll(storage.open(at)), 'ASSET_NOT_FOUND')
    await expectFailure(() => storage.download(at, join(scratch, 'out.bin')), 'ASSET_NOT_FOUND')
    await expectFailure(() => storage.download(at, join(scratch, 'resumed.bin'), { resume: true }), 'ASSET_NOT_FOUND')
  })

  test('downloads into a folder that does not exist yet', async ({ storage, scratch, place, location }) => {
    const bytes = randomBytes(250_000)
    const at = location()
    await place(at, bytes)
    const destination = join(scratch, 'a', 'b', 'object.bin')
    const result = await storage.download(at, destination)
    expect(result.size).toBe(bytes.length)
    if (result.digest !== undefined) expect(result.digest).toBe(sha256(bytes))
    expect((await readFile(destination)).equals(bytes)).toBe(true)
  })

  test('a download without resume replaces whatever the destination held', async ({ storage, scratch, place, location }) => {
    const bytes = randomBytes(5000)
    const at = location()
    await place(at, bytes)
    const destination = join(scratch, 'object.bin')
    await writeFile(destination, randomBytes(9000))
    expect((await storage.download(at, destination)).size).toBe(bytes.length)
    expect((await readFile(destination)).equals(bytes)).toBe(true)
  })

  test('a resumed download whose partial file is longer than the object starts over', async ({ storage, scratch, place, location }) => {
    const bytes = randomBytes(5000)
    const at = location()
    await place(at, bytes)
    const destination = join(scratch, 'object.bin')
    await writeFile(destination, randomBytes(6000))
    expect((await storage.download(at, destination, { resume: true })).size).toBe(bytes.length)
    expect((await readFile(destination)).equals(bytes)).toBe(true)
  })

  test('a download with an already aborted signal fails with AbortError', async ({ storage, scratch, place, location }) => {
    const at = location()
    await place(at, randomBytes(100))
    await expectAborted(() => storage.download(at, join(scratch, 'out.bin'), { signal: AbortSignal.abort() }))
    await expectAborted(() => readAll(storage.open(at, { signal: AbortSignal.abort() })))
  })

  test('stores and reads a 0-byte object', async ({ storage, scratch, place, location }) => {
    const at = location()
    await place(at, new Uint8Array(0))
    expect(await storage.stat(at)).toMatchObject({ location: at, size: 0 })
    expect((await readAll(storage.open(at))).length).toBe(0)
    const destination = join(scratch, 'nested', 'empty.bin')
    const result = await storage.download(at, destination)
    expect(result.size).toBe(0)
    if (result.digest !== undefined) expect(result.digest).toBe(sha256(''))
    expect((await stat(destination)).size).toBe(0)
  })

  test('reads an object of many chunks whole, by download, and in aborted reads', async ({ storage, scratch, place, location }) => {
    const bytes = randomBytes(options.largeObjectBytes)
    const at = location()
    await place(at, bytes)
    expect(sha256(await readAll(storage.open(at)))).toBe(sha256(bytes))
    const destination = join(scratch, 'large.bin')
    expect((await storage.download(at, destination)).size).toBe(bytes.length)
    expect(sha256(await readFile(destination))).toBe(sha256(bytes))

    const reading = new AbortController()
    await expectAborted(async () => {
      for await (const _chunk of storage.open(at, { signal: reading.signal })) reading.abort()
    })
    const downloading = new AbortController()
    const onProgress = (): void => downloading.abort()
    await expectAborted(() => storage.download(at, join(scratch, 'aborted.bin'), { signal: downloading.signal, onProgress }))
  })

  test('a resumed download continues a partial file and ends identical to the object', async ({ storage, scratch, capabilities, place, location }) => {
    const bytes = randomBytes(300_000)
    const at = location()
    await place(at, bytes)
    const destination = join(scratch, 'partial', 'object.bin')
    await mkdir(dirname(destination), { recursive: true })
    await writeFile(destination, bytes.subarray(0, 123_457))
    const progress: TransferProgress[] = []
    const result = await storage.download(at, destination, { resume: true, onProgress: (p) => progress.push(p) })
    expect(result.size).toBe(bytes.length)
    if (result.digest !== undefined) expect(result.digest).toBe(sha256(bytes))
    expect((await readFile(destination)).equals(bytes)).toBe(true)
    // With ranges, only the missing tail crosses the wire.
    if (capabilities.range) expect(Math.max(0, ...progress.map((p) => p.bytes))).toBeLessThanOrEqual(bytes.length - 123_457)
  })

  test('a resumed download appends to the partial file as it is, without rereading it', async ({ storage, scratch, capabilities, place, location }) => {
    const bytes = randomBytes(20_000)
    const at = location()
    await place(at, bytes)
    const destination = join(scratch, 'object.bin')
    // Bytes that differ from the object's: a backend that resumes keeps them (the manager's digest
    // check catches such a file); one without ranges starts over.
    const partial = Buffer.alloc(5000, 0xab)
    await writeFile(destination, partial)
    const result = await storage.download(at, destination, { resume: true })
    const written = await readFile(destination)
    expect(result.size).toBe(bytes.length)
    const expected = capabilities.range ? Buffer.concat([partial, bytes.subarray(5000)]) : bytes
    expect(written.equals(expected)).toBe(true)
    if (result.digest !== undefined) expect(result.digest).toBe(sha256(written))
  })
}

/** Ranges are tested where the backend has them; without them a ranged open is refused. */
function rangeCases(test: StorageTest, options: { largeObjectBytes: number }): void {
  test('ranged reads: start only, end only, both, empty, and past the end (end is exclusive)', async ({ storage, place, location }) => {
    const bytes = randomBytes(100_000)
    const at = location()
    await place(at, bytes)
    const read = async (start?: number, end?: number): Promise<Buffer> => readAll(storage.open(at, { start, end }))
    expect((await read(99_000)).equals(bytes.subarray(99_000))).toBe(true)
    expect((await read(undefined, 1234)).equals(bytes.subarray(0, 1234))).toBe(true)
    expect((await read(4321, 65_600)).equals(bytes.subarray(4321, 65_600))).toBe(true)
    expect((await read(500, 500)).length).toBe(0)
    expect((await read(0, 0)).length).toBe(0)
    expect((await read(100_000)).length).toBe(0)
    expect((await read(99_990, 200_000)).equals(bytes.subarray(99_990))).toBe(true)
  })

  test('ranges across chunk boundaries of a large object', async ({ storage, place, location }) => {
    const bytes = randomBytes(options.largeObjectBytes)
    const at = location()
    await place(at, bytes)
    const start = Math.floor(bytes.length / 5) - 17
    const end = bytes.length - Math.floor(bytes.length / 5) + 17
    expect(sha256(await readAll(storage.open(at, { start, end })))).toBe(sha256(bytes.subarray(start, end)))
  })

  test('refuses malformed ranges with InvalidInputError', async ({ storage, place, location }) => {
    const at = location()
    await place(at, randomBytes(100))
    await expectFailure(() => readAll(storage.open(at, { start: 50, end: 10 })), 'INVALID_INPUT')
    await expectFailure(() => readAll(storage.open(at, { start: -1 })), 'INVALID_INPUT')
    await expectFailure(() => readAll(storage.open(at, { end: -5 })), 'INVALID_INPUT')
  })
}

function refusedRangeCases(test: StorageTest): void {
  test('refuses ranged reads with UnsupportedOperationError (no range support)', async ({ storage, place, location }) => {
    const at = location()
    await place(at, randomBytes(100))
    await expectFailure(() => readAll(storage.open(at, { start: 10, end: 20 })), 'UNSUPPORTED_OPERATION')
    await expectFailure(() => readAll(storage.open(at, { start: 1 })), 'UNSUPPORTED_OPERATION')
  })
}
