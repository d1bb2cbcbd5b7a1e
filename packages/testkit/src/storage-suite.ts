import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256, type Storage, type StorageCapabilities, type TransferProgress } from '@assets/core'
import { expect, type TestAPI } from 'vitest'
import { chunksOf, delay, readAll } from './byte-streams.js'
import { expectAborted, expectFailure } from './expect-failure.js'
import { randomKey, temporaryFolder } from './fixtures.js'
import { locationsUnder, objectsUnder, type StorageTest } from './storage-case.js'
import { storageCopyCases } from './storage-copy-cases.js'
import { storageLinkCases } from './storage-link-cases.js'
import { refusedPresignCase, storagePresignCases } from './storage-presign-cases.js'
import { storageReadCases } from './storage-read-cases.js'

export interface StorageSuiteOptions {
  /**
   * What the backend can do. The suite checks that `storage.capabilities` says the same, tests
   * each capability the backend has, and checks that each one it lacks is refused with
   * UnsupportedOperationError. Flags left out default to: write, delete, list and range true,
   * the others false.
   */
  capabilities?: Partial<StorageCapabilities>
  /** Places an object by other means; required when `write` is false (a read-only mirror). */
  seed?: (location: string, bytes: Uint8Array) => Promise<void>
  /** First segment of every location the suite uses (default `suite`); each test adds a random rest. */
  prefix?: string
  /** Size of the object that spans many chunks (default 5 MiB). */
  largeObjectBytes?: number
  /** The backend offers `linkTo` (its objects are local files); the suite checks that it does, or that it does not. */
  linkTo?: boolean
  /**
   * The backend offers `copy` (an optional capability): true tests it, false checks that it is
   * absent; left out, the suite does not look.
   */
  copy?: boolean
}

export const DEFAULT_STORAGE_CAPABILITIES: Readonly<StorageCapabilities> = Object.freeze({
  write: true,
  delete: true,
  list: true,
  range: true,
  multipart: false,
  resumableUpload: false,
  presign: false,
  atomicMove: false,
})

/**
 * The conformance suite every Storage backend runs. `create` is called once per test; tests use
 * random locations under `prefix`, so one real bucket or folder can serve every run.
 */
export function storageSuite(it: TestAPI, create: () => Storage | Promise<Storage>, options: StorageSuiteOptions = {}): void {
  const capabilities: StorageCapabilities = { ...DEFAULT_STORAGE_CAPABILITIES, ...options.capabilities }
  const prefix = options.prefix ?? 'suite'
  const seed = options.seed
  if (!capabilities.write && seed === undefined) {
    throw new Error('storageSuite: a backend without write needs a seed(location, bytes) hook to place test objects')
  }
  const test: StorageTest = (name, body) =>
    it(name, async () => {
      const storage = await create()
      const scratch = await temporaryFolder('storage-suite')
      const place = async (location: string, bytes: Uint8Array): Promise<void> => {
        if (capabilities.write) await storage.upload(location, chunksOf(bytes))
        else if (seed !== undefined) await seed(location, bytes)
      }
      try {
        await body({ storage, scratch, capabilities, location: () => randomKey(prefix), place })
      } finally {
        await storage.close()
        await rm(scratch, { recursive: true, force: true })
      }
    })

  test('reports the declared capabilities and a name', async ({ storage }) => {
    expect(storage.capabilities).toEqual(capabilities)
    expect(typeof storage.name).toBe('string')
    expect(storage.name.length).toBeGreaterThan(0)
  })

  if (capabilities.write) writeCases(test, options)
  else refusedWriteCases(test)
  storageReadCases(test, { largeObjectBytes: options.largeObjectBytes ?? 5 << 20, range: capabilities.range })
  if (capabilities.list) listCases(test)
  if (capabilities.delete) deleteCases(test)
  if (capabilities.atomicMove) moveCases(test)
  test(options.linkTo ? 'offers linkTo, as declared' : 'offers no linkTo, as declared', async ({ storage }) => {
    expect(typeof storage.linkTo).toBe(options.linkTo ? 'function' : 'undefined')
  })
  if (options.linkTo) storageLinkCases(test)
  if (options.copy !== undefined) {
    test(options.copy ? 'offers copy, as declared' : 'offers no copy, as declared', async ({ storage }) => {
      expect(typeof storage.copy).toBe(options.copy ? 'function' : 'undefined')
    })
  }
  if (options.copy && capabilities.write) storageCopyCases(test)
  if (capabilities.presign) storagePresignCases(test)
  else refusedPresignCase(test)
  refusedCapabilityCases(test, capabilities)
}

function writeCases(test: StorageTest, options: StorageSuiteOptions): void {
  test('uploads a local file and reads back the same bytes', async ({ storage, scratch, location }) => {
    const bytes = randomBytes(200_000)
    const source = join(scratch, 'source.bin')
    await writeFile(source, bytes)
    const at = location()
    const result = await storage.upload(at, source)
    expect(result).toMatchObject({ location: at, size: bytes.length, digest: sha256(bytes) })
    expect((await storage.stat(at))?.size).toBe(bytes.length)
    expect(sha256(await readAll(storage.open(at)))).toBe(sha256(bytes))
  })

  test('uploads a stream of chunks and reads back the same bytes', async ({ storage, location }) => {
    const bytes = randomBytes(300_001)
    const at = location()
    const result = await storage.upload(at, chunksOf(bytes, 10_000))
    expect(result.digest).toBe(sha256(bytes))
    expect(result.size).toBe(bytes.length)
    expect(sha256(await readAll(storage.open(at)))).toBe(sha256(bytes))
  })

  test('accepts an upload whose digest and size match, and reports progress up to the size', async ({ storage, location }) => {
    const bytes = randomBytes(150_000)
    const progress: TransferProgress[] = []
    const at = location()
    const result = await storage.upload(at, chunksOf(bytes), {
      digest: sha256(bytes),
      size: bytes.length,
      onProgress: (p) => progress.push(p),
    })
    expect(result.digest).toBe(sha256(bytes))
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)?.bytes).toBe(bytes.length)
  })

  test('refuses an upload whose bytes do not match the digest, leaving nothing at the location', async ({ storage, location }) => {
    const at = location()
    await expectFailure(() => storage.upload(at, chunksOf(randomBytes(70_000)), { digest: sha256('other bytes') }), 'INTEGRITY_ERROR')
    expect(await storage.stat(at)).toBeNull()
    await expectFailure(() => readAll(storage.open(at)), 'ASSET_NOT_FOUND')
  })

  test('refuses an upload whose size does not match, leaving nothing at the location', async ({ storage, location }) => {
    const bytes = randomBytes(70_000)
    const at = location()
    await expectFailure(() => storage.upload(at, chunksOf(bytes), { digest: sha256(bytes), size: bytes.length + 1 }), 'INTEGRITY_ERROR')
    expect(await storage.stat(at)).toBeNull()
  })

  test('a refused upload leaves an existing object at the location untouched', async ({ storage, location }) => {
    const before = randomBytes(10_000)
    const at = location()
    await storage.upload(at, chunksOf(before))
    await expectFailure(() => storage.upload(at, chunksOf(randomBytes(20_000)), { digest: sha256('not these bytes') }), 'INTEGRITY_ERROR')
    expect(sha256(await readAll(storage.open(at)))).toBe(sha256(before))
  })

  test('an upload replaces the object at the location', async ({ storage, location }) => {
    const at = location()
    await storage.upload(at, chunksOf(randomBytes(50_000)))
    const after = randomBytes(1234)
    await storage.upload(at, chunksOf(after))
    expect((await storage.stat(at))?.size).toBe(after.length)
    expect(sha256(await readAll(storage.open(at)))).toBe(sha256(after))
  })

  test('refuses to upload a source file that does not exist', async ({ storage, scratch, location }) => {
    const at = location()
    await expectFailure(() => storage.upload(at, join(scratch, 'missing.bin')), 'INVALID_INPUT')
    expect(await storage.stat(at)).toBeNull()
  })

  test('readers never see an object while its upload is in flight', async ({ storage, capabilities, location }) => {
    const at = location()
    let reachMidway = (): void => {}
    const midway = new Promise<void>((resolve) => {
      reachMidway = resolve
    })
    let finish = (): void => {}
    const finished = new Promise<void>((resolve) => {
      finish = resolve
    })
    const bytes = randomBytes(3 * 65_536)
    async function* source(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, 65_536)
      yield bytes.subarray(65_536, 131_072)
      reachMidway()
      await finished
      yield bytes.subarray(131_072)
    }
    const upload = storage.upload(at, source())
    await Promise.race([midway, upload])
    // Give the backend time to write what it has received before looking.
    await delay(50)
    expect(await storage.stat(at)).toBeNull()
    // A backend may list its own temporary object (so gc can remove abandoned ones), never `at`.
    if (capabilities.list) expect(await locationsUnder(storage, at)).not.toContain(at)
    finish()
    await upload
    expect((await storage.stat(at))?.size).toBe(bytes.length)
  })

  test('an upload aborted part-way leaves nothing at the location', async ({ storage, capabilities, location }) => {
    const at = location()
    const controller = new AbortController()
    async function* source(): AsyncGenerator<Uint8Array> {
      yield randomBytes(65_536)
      yield randomBytes(65_536)
      controller.abort()
      await delay(20)
      yield randomBytes(65_536)
    }
    await expectAborted(() => storage.upload(at, source(), { signal: controller.signal }))
    expect(await storage.stat(at)).toBeNull()
    if (capabilities.list) expect(await locationsUnder(storage, at)).toEqual([])
  })

  test('an upload with an already aborted signal writes nothing', async ({ storage, location }) => {
    const at = location()
    await expectAborted(() => storage.upload(at, chunksOf(randomBytes(1000)), { signal: AbortSignal.abort() }))
    expect(await storage.stat(at)).toBeNull()
  })

  test('stores a 0-byte object from an empty stream and from an empty file', async ({ storage, scratch, location }) => {
    const fromStream = location()
    const result = await storage.upload(fromStream, chunksOf(new Uint8Array(0)))
    expect(result).toMatchObject({ size: 0, digest: sha256('') })
    const empty = join(scratch, 'empty')
    await writeFile(empty, '')
    const fromFile = location()
    expect((await storage.upload(fromFile, empty)).digest).toBe(sha256(''))
    expect((await storage.stat(fromFile))?.size).toBe(0)
    expect((await readAll(storage.open(fromFile))).length).toBe(0)
  })

  test('uploads an object of many chunks from a file', async ({ storage, scratch, location }) => {
    const bytes = randomBytes(options.largeObjectBytes ?? 5 << 20)
    const source = join(scratch, 'large.bin')
    await writeFile(source, bytes)
    const at = location()
    expect((await storage.upload(at, source, { size: bytes.length })).digest).toBe(sha256(bytes))
    const destination = join(scratch, 'large.copy')
    await storage.download(at, destination)
    expect(sha256(await readFile(destination))).toBe(sha256(bytes))
  })
}

function refusedWriteCases(test: StorageTest): void {
  test('refuses uploads with UnsupportedOperationError (read-only backend)', async ({ storage, scratch, location }) => {
    const at = location()
    await expectFailure(() => storage.upload(at, chunksOf(randomBytes(100))), 'UNSUPPORTED_OPERATION')
    const source = join(scratch, 'source.bin')
    await writeFile(source, 'bytes')
    await expectFailure(() => storage.upload(at, source), 'UNSUPPORTED_OPERATION')
    expect(await storage.stat(at)).toBeNull()
  })
}

function listCases(test: StorageTest): void {
  test('lists the objects whose location starts with a prefix', async ({ storage, place, location }) => {
    const base = location()
    const sizes: Record<string, number> = { 'a/1': 1, 'a/2': 22, 'a/sub/3': 333, 'ab/4': 4, 'b/5': 0 }
    for (const [name, size] of Object.entries(sizes)) await place(`${base}/${name}`, randomBytes(size))
    const listed = await objectsUnder(storage, `${base}/a/`)
    expect(listed).toEqual([
      { location: `${base}/a/1`, size: 1 },
      { location: `${base}/a/2`, size: 22 },
      { location: `${base}/a/sub/3`, size: 333 },
    ])
    // A prefix is a plain string prefix, as in S3: `a` also matches `ab/…`.
    expect(await locationsUnder(storage, `${base}/a`)).toEqual([`${base}/a/1`, `${base}/a/2`, `${base}/a/sub/3`, `${base}/ab/4`])
    expect((await locationsUnder(storage, `${base}/`)).length).toBe(5)
    expect(await locationsUnder(storage, `${base}/nothing-here/`)).toEqual([])
  })
}

function deleteCases(test: StorageTest): void {
  test('deletes an object; deleting again or deleting what never existed is not an error', async ({ storage, scratch, place, location }) => {
    const at = location()
    await place(at, randomBytes(100))
    await storage.delete(at)
    expect(await storage.stat(at)).toBeNull()
    await expectFailure(() => readAll(storage.open(at)), 'ASSET_NOT_FOUND')
    await expectFailure(() => storage.download(at, join(scratch, 'out')), 'ASSET_NOT_FOUND')
    await storage.delete(at)
    await storage.delete(location())
  })
}

function moveCases(test: StorageTest): void {
  test('moves an object, replacing whatever was at the destination', async ({ storage, place, location }) => {
    const from = location()
    const to = `${location()}/nested/target`
    const bytes = randomBytes(4096)
    await place(from, bytes)
    await place(to, randomBytes(10))
    await storage.move?.(from, to)
    expect(await storage.stat(from)).toBeNull()
    expect(sha256(await readAll(storage.open(to)))).toBe(sha256(bytes))
  })

  test('moving a missing object fails with NotFoundError', async ({ storage, location }) => {
    expect(typeof storage.move).toBe('function')
    const to = location()
    await expectFailure(() => storage.move?.(location(), to), 'ASSET_NOT_FOUND')
    expect(await storage.stat(to)).toBeNull()
  })
}

/** For each capability the backend lacks, the matching operation is refused rather than silently wrong. */
function refusedCapabilityCases(test: StorageTest, capabilities: StorageCapabilities): void {
  if (!capabilities.delete) {
    test('refuses deletes with UnsupportedOperationError, leaving the object', async ({ storage, place, location }) => {
      const at = location()
      await place(at, randomBytes(10))
      await expectFailure(() => storage.delete(at), 'UNSUPPORTED_OPERATION')
      expect((await storage.stat(at))?.size).toBe(10)
    })
  }
  if (!capabilities.list) {
    test('refuses listing with UnsupportedOperationError', async ({ storage, location }) => {
      await expectFailure(() => locationsUnder(storage, location()), 'UNSUPPORTED_OPERATION')
    })
  }
  if (!capabilities.atomicMove) {
    test('offers no move, or refuses it with UnsupportedOperationError', async ({ storage, place, location }) => {
      const from = location()
      await place(from, randomBytes(10))
      if (storage.move !== undefined) await expectFailure(() => storage.move?.(from, location()), 'UNSUPPORTED_OPERATION')
      expect((await storage.stat(from))?.size).toBe(10)
    })
  }
}
