import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Storage, StorageObjectInfo, UploadOptions } from '../src/contracts/storage.js'
import { blobLocation, type ContentDigest, sha256 } from '../src/digest.js'
import { InvalidInputError } from '../src/errors/index.js'
import type { ContentLease } from '../src/manager/content-lease.js'
import { decodeManifest, listFolder } from '../src/manager/folder-manifest.js'
import { DigestTable, storeFolderSynced } from '../src/manager/folder-store.js'

/** A store in memory that renames atomically and syncs in one pass, and remembers every move. */
function memoryStorage() {
  const objects = new Map<string, Buffer>()
  const moves: Array<[string, string]> = []
  let syncs = 0
  const storage = {
    name: 'memory',
    capabilities: { write: true, delete: true, list: true, range: false, multipart: false, resumableUpload: false, presign: false, atomicMove: true },
    async upload(location: string, source: string | AsyncIterable<Uint8Array>, options: UploadOptions = {}) {
      if (typeof source === 'string') throw new Error('only streams here')
      const chunks: Uint8Array[] = []
      for await (const chunk of source) chunks.push(Buffer.from(chunk))
      const bytes = Buffer.concat(chunks)
      const digest = sha256(bytes)
      if (options.digest !== undefined && options.digest !== digest) throw new Error(`digest mismatch at ${location}`)
      objects.set(location, bytes)
      return { location, size: bytes.length, digest }
    },
    async stat(location: string): Promise<StorageObjectInfo | null> {
      const bytes = objects.get(location)
      return bytes === undefined ? null : { location, size: bytes.length }
    },
    async move(from: string, to: string) {
      const bytes = objects.get(from)
      if (bytes === undefined) throw new Error(`no object at ${from}`)
      objects.delete(from)
      objects.set(to, bytes)
      moves.push([from, to])
    },
    async sync() {
      syncs++
    },
    async delete(location: string) {
      objects.delete(location)
    },
  } as unknown as Storage & Required<Pick<Storage, 'move' | 'sync'>>
  return { storage, objects, moves, syncs: () => syncs }
}

/**
 * A store of files under `root` that lets a folder put write its small files on threads
 * (`localPath`, `prepareLocalWrites`), as the local storage does.
 */
function fileStorage(root: string) {
  const path = (location: string) => join(root, location)
  return {
    name: 'files',
    capabilities: { write: true, delete: true, list: true, range: false, multipart: false, resumableUpload: false, presign: false, atomicMove: true },
    localPath: path,
    async prepareLocalWrites() {
      await mkdir(root, { recursive: true })
      return { fileMode: 0o600 }
    },
    async upload(location: string, source: string | AsyncIterable<Uint8Array>) {
      if (typeof source === 'string') throw new Error('only streams here')
      const chunks: Uint8Array[] = []
      for await (const chunk of source) chunks.push(Buffer.from(chunk))
      const bytes = Buffer.concat(chunks)
      await mkdir(dirname(path(location)), { recursive: true })
      await writeFile(path(location), bytes)
      return { location, size: bytes.length, digest: sha256(bytes) }
    },
    async stat(location: string): Promise<StorageObjectInfo | null> {
      const info = await stat(path(location)).catch(() => null)
      return info === null ? null : { location, size: info.size }
    },
    async move(from: string, to: string) {
      await mkdir(dirname(path(to)), { recursive: true })
      await rename(path(from), path(to))
    },
    async sync() {},
    async delete(location: string) {
      await rm(path(location), { force: true })
    },
  } as unknown as Storage & Required<Pick<Storage, 'move' | 'sync'>>
}

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'folder-store-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('storing a folder in one pass', () => {
  it('stores each distinct content once, however far apart its files are, and its manifest names every file', async () => {
    // 5 000 files of 700 distinct contents: copies in the same batch of reads and in batches
    // thousands of files apart (a batch is at most 2 048 files).
    const root = join(scratch, 'copies')
    const content = (i: number) => `content ${i % 700} `.repeat(1 + (i % 7))
    for (let d = 0; d < 10; d++) await mkdir(join(root, `d${d}`), { recursive: true })
    for (let i = 0; i < 5000; i++) await writeFile(join(root, `d${i % 10}`, `f${String(i).padStart(4, '0')}`), content(i))
    const { storage, objects, moves, syncs } = memoryStorage()
    const files = await listFolder(root)
    const stored = await storeFolderSynced(storage, files, {})
    expect(stored.count).toBe(5000)
    const distinct = new Set(Array.from({ length: 5000 }, (_, i) => content(i)))
    expect([...objects.keys()].sort()).toEqual([...distinct].map((c) => blobLocation(sha256(c))).sort())
    for (const [location, bytes] of objects) expect(blobLocation(sha256(bytes))).toBe(location)
    expect(moves).toHaveLength(distinct.size)
    expect(syncs()).toBe(2)
    const bytes = Buffer.concat([...stored.chunks()])
    const manifest = decodeManifest(bytes, sha256(bytes))
    expect(manifest.files).toHaveLength(5000)
    for (const [i, entry] of manifest.files.entries()) {
      expect(entry.path).toBe(files.path(i))
      expect(entry.digest).toBe(sha256(content(Number(entry.path.slice(-4)))))
      expect(entry.size).toBe(Buffer.byteLength(content(Number(entry.path.slice(-4)))))
    }
    expect(stored.size).toBe(manifest.files.reduce((n, f) => n + f.size, 0))
  })
})

describe('a file swapped for a link after the listing', () => {
  // The listing names each file by its real path; a link found there when the file is read was
  // put in its place since (by whoever else may write in the folder), and what it points to
  // (here a file only the putter may read) must not be stored under the folder's name.
  const secret = 'what only the putter may read\n'
  const swapped = async (files: number, large: boolean, swap = true) => {
    const root = await mkdtemp(join(scratch, 'swap-'))
    await mkdir(join(root, 'folder', 'd'), { recursive: true })
    for (let i = 0; i < files; i++) await writeFile(join(root, 'folder', 'd', `f${String(i).padStart(4, '0')}`), `file ${i}\n`)
    await writeFile(join(root, 'folder', 'big.bin'), Buffer.alloc((1 << 20) + 1, 7))
    await writeFile(join(root, 'secret'), secret, { mode: 0o600 })
    const listing = await listFolder(join(root, 'folder'))
    const victim = large ? join(root, 'folder', 'big.bin') : join(root, 'folder', 'd', 'f0001')
    if (swap) {
      await rm(victim)
      await symlink(join(root, 'secret'), victim)
    }
    return { root, listing, victim }
  }

  for (const [files, large, storageKind] of [
    [3, false, 'memory'],
    [3, true, 'memory'],
    [600, false, 'files, on threads'],
    [600, true, 'files, on threads'],
  ] as const) {
    it(`is refused, and what it points to is not stored: ${large ? 'a large file' : 'a small file'}, ${files} files, ${storageKind} storage`, async () => {
      const { root, listing, victim } = await swapped(files, large)
      const memory = memoryStorage()
      const storage = storageKind === 'memory' ? memory.storage : fileStorage(join(root, 'store'))
      const failure = await storeFolderSynced(storage, listing, {}).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(InvalidInputError)
      expect((failure as Error).message).toBe(`folder file ${victim} was replaced by a link since it was listed`)
      const leaked = blobLocation(sha256(secret))
      expect(memory.objects.has(leaked)).toBe(false)
      await expect(readFile(join(root, 'store', leaked))).rejects.toThrow(/ENOENT/)
      // The same folder, the link undone and listed again, stores: the refusal was the link's.
      await rm(victim)
      await writeFile(victim, large ? Buffer.alloc((1 << 20) + 1, 7) : 'file 1\n')
      await expect(storeFolderSynced(storage, await listFolder(join(root, 'folder')), {})).resolves.toMatchObject({ count: files + 1 })
    })

    it(`is refused when a folder on its path was swapped for a link: ${large ? 'a large file' : 'a small file'}, ${files} files, ${storageKind} storage`, async () => {
      // The open follows a link above the file's own name (O_NOFOLLOW cannot stop that): what it
      // finds there is a file of the same name, but not the file listed.
      const { root, listing } = await swapped(files, large)
      await mkdir(join(root, 'elsewhere', 'd'), { recursive: true })
      await writeFile(join(root, 'elsewhere', 'big.bin'), secret)
      for (let i = 0; i < files; i++) await writeFile(join(root, 'elsewhere', 'd', `f${String(i).padStart(4, '0')}`), secret)
      const folder = large ? join(root, 'folder') : join(root, 'folder', 'd')
      await rename(folder, `${folder}.moved`)
      await symlink(large ? join(root, 'elsewhere') : join(root, 'elsewhere', 'd'), folder)
      const memory = memoryStorage()
      const storage = storageKind === 'memory' ? memory.storage : fileStorage(join(root, 'store'))
      const failure = await storeFolderSynced(storage, listing, {}).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(InvalidInputError)
      expect((failure as Error).message).toMatch(/^folder file .* was replaced since it was listed/)
      expect(memory.objects.has(blobLocation(sha256(secret)))).toBe(false)
      await expect(readFile(join(root, 'store', blobLocation(sha256(secret))))).rejects.toThrow(/ENOENT/)
    })
  }

  it('a large file swapped after its size was read, before it is stored, is refused too', async () => {
    // Every file is opened once to learn whether it is small; a large one is opened again to
    // stream it to storage, after the hold of the put's staging names: swapped in between.
    for (const [files, storageKind] of [
      [3, 'memory'],
      [600, 'files, on threads'],
    ] as const) {
      const { root, listing } = await swapped(files, true, false)
      const big = join(root, 'folder', 'big.bin')
      const lease = {
        hold: async (locations: string[]) => {
          if (!locations.some((location) => location.startsWith('staging/'))) return
          await rm(big)
          await symlink(join(root, 'secret'), big)
        },
      } as unknown as ContentLease
      const memory = memoryStorage()
      const storage = storageKind === 'memory' ? memory.storage : fileStorage(join(root, 'store'))
      const failure = await storeFolderSynced(storage, listing, { lease }).catch((error: unknown) => error)
      expect(failure, storageKind).toBeInstanceOf(InvalidInputError)
      expect((failure as Error).message).toBe(`folder file ${big} was replaced by a link since it was listed`)
      expect(memory.objects.has(blobLocation(sha256(secret)))).toBe(false)
      await expect(readFile(join(root, 'store', blobLocation(sha256(secret))))).rejects.toThrow(/ENOENT/)
    }
  })
})

describe('the digest table', () => {
  const hex = (prefix: string, tail: number) => prefix + tail.toString(16).padStart(64 - prefix.length, '0')

  it('tells the first file of each digest, also among digests that share their first bytes', () => {
    const table = new DigestTable(6)
    // Four digests with the same first 4 bytes (one slot of the table), two of them twice.
    const digests = [hex('deadbeef', 1), hex('deadbeef', 2), hex('deadbeef', 1), hex('deadbeef', 3), hex('deadbeef', 2), hex('00000000', 9)]
    for (const [i, d] of digests.entries()) table.setHex(i, d)
    expect(digests.map((_, i) => table.claim(i))).toEqual([0, 1, 0, 3, 1, 5])
    expect(table.get(4)).toBe(`sha256:${digests[4]}` as ContentDigest)
  })

  it('holds a digest as given', () => {
    const table = new DigestTable(1)
    const digest = createHash('sha256').update('x').digest('hex')
    table.setHex(0, digest)
    expect(table.get(0)).toBe(`sha256:${digest}`)
  })
})
