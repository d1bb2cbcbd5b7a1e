import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Storage, StorageObjectInfo, UploadOptions } from '../src/contracts/storage.js'
import { blobLocation, type ContentDigest, sha256 } from '../src/digest.js'
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
