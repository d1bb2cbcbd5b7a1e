import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, symlink, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AssetRecord, ManifestEntry } from '../src/asset-record.js'
import type { Storage, StorageObjectInfo } from '../src/contracts/storage.js'
import { blobLocation, sha256 } from '../src/digest.js'
import { encodeManifest } from '../src/manager/folder-manifest.js'
import type { ManagerParts } from '../src/manager/manager-parts.js'
import { verifyContent } from '../src/manager/maintenance.js'
import { THREADED_VERIFY_MAX_BYTES, THREADED_VERIFY_MIN_FILES } from '../src/manager/threaded-verify.js'

/**
 * A storage whose objects are files under `root`, read as the local storage reads them: `stat`
 * and `open` follow a link and see only a regular file; `localPath` (the threaded check) is
 * optional, so that both ways of checking run on the same files.
 */
function fileStorage(root: string, localPath: boolean | ((path: string, location: string) => string)): Storage {
  const path = (location: string) => join(root, ...location.split('/'))
  const storage = {
    name: 'files',
    capabilities: { write: true, delete: true, list: true, range: false, multipart: false, resumableUpload: false, presign: false },
    async stat(location: string): Promise<StorageObjectInfo | null> {
      const info = await stat(path(location)).catch(() => null)
      return info?.isFile() ? { location, size: info.size } : null
    },
    async *open(location: string) {
      yield await readFile(path(location))
    },
    ...(localPath === false ? {} : { localPath: (location: string) => (localPath === true ? path(location) : localPath(path(location), location)) }),
  }
  return storage as unknown as Storage
}

let root: string
let files: ManifestEntry[]
let record: AssetRecord
/** The blob file of the folder's `index`th file. */
const blobFile = (index: number) => join(root, ...blobLocation((files[index] as ManifestEntry).digest).split('/'))
const verify = (localPath: Parameters<typeof fileStorage>[1], options: { signal?: AbortSignal; deep?: boolean } = {}) =>
  verifyContent({ storage: fileStorage(root, localPath) } as unknown as ManagerParts, { user: 'alice' }, [record], options)
const put = async (bytes: Uint8Array) => {
  const digest = sha256(bytes)
  const file = join(root, ...blobLocation(digest).split('/'))
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, bytes)
  return digest
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'threaded-verify-'))
  // 640 small files of distinct content, and one larger than the threads take (streamed as before).
  files = []
  for (let i = 0; i < 640; i++) {
    const bytes = randomBytes(200 + ((i * 53) % 4000))
    files.push({ path: `d${i % 5}/f${String(i).padStart(3, '0')}.bin`, size: bytes.length, digest: await put(bytes) })
  }
  const large = randomBytes(THREADED_VERIFY_MAX_BYTES + 10)
  files.push({ path: 'large.bin', size: large.length, digest: await put(large) })
  files.sort((a, b) => (a.path < b.path ? -1 : 1))
  expect(files.filter((f) => f.size <= THREADED_VERIFY_MAX_BYTES).length).toBeGreaterThanOrEqual(THREADED_VERIFY_MIN_FILES)
  const manifest = encodeManifest(files)
  const digest = await put(manifest)
  record = {
    key: 'cells/atlas',
    version: '1.0.0',
    kind: 'dataset',
    type: 'folder',
    digest,
    size: files.reduce((n, f) => n + f.size, 0),
    fileCount: files.length,
    location: blobLocation(digest),
    metadata: {},
    relationships: [],
    accessControl: { owner: 'alice', read: [], write: [], admin: [] },
    createdBy: 'alice',
    createdAt: new Date(0).toISOString(),
  } as AssetRecord
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('verify of a folder of many small files on a local storage', () => {
  it('finds a clean folder clean, on threads as on the event loop', async () => {
    expect(await verify(true)).toEqual({ checked: 1, ok: 1, problems: [] })
    expect(await verify(false)).toEqual({ checked: 1, ok: 1, problems: [] })
  })

  it('reports every damaged file, in manifest order, with the words the one-file check uses', async () => {
    const index = (path: string) => files.findIndex((f) => f.path === path)
    const truncated = index('d0/f010.bin')
    const changed = index('d1/f201.bin')
    const deleted = index('d2/f322.bin')
    const linked = index('d3/f433.bin')
    const grown = index('d4/f544.bin')
    const large = index('large.bin')
    const folderAt = index('d0/f600.bin')
    const entry = (i: number) => files[i] as ManifestEntry
    const originals = new Map<number, Buffer>()
    for (const i of [truncated, changed, deleted, linked, grown, large, folderAt]) originals.set(i, await readFile(blobFile(i)))
    try {
      await truncate(blobFile(truncated), entry(truncated).size - 7)
      const other = randomBytes(entry(changed).size)
      await writeFile(blobFile(changed), other)
      await unlink(blobFile(deleted))
      // A link to a valid copy of the same bytes: the content is right, but it is not a stored object.
      const copy = join(root, 'elsewhere.bin')
      await writeFile(copy, originals.get(linked) as Buffer)
      await unlink(blobFile(linked))
      await symlink(copy, blobFile(linked))
      await writeFile(blobFile(grown), Buffer.concat([originals.get(grown) as Buffer, Buffer.from('more')]))
      const largeOther = randomBytes(entry(large).size)
      await writeFile(blobFile(large), largeOther)
      await unlink(blobFile(folderAt))
      await mkdir(blobFile(folderAt))

      const report = await verify(true)
      const at = (i: number, message: string) => ({
        key: 'cells/atlas',
        version: '1.0.0',
        location: blobLocation(entry(i).digest),
        message: `${entry(i).path}: ${message}`,
      })
      expect(report).toEqual({
        checked: 1,
        ok: 0,
        problems: [
          at(truncated, `size ${entry(truncated).size - 7}, expected ${entry(truncated).size}`),
          at(folderAt, 'is not a regular file'),
          at(changed, `digest ${sha256(other)}, expected ${entry(changed).digest}`),
          at(deleted, 'missing from storage'),
          at(linked, 'is a link, not a stored object'),
          at(grown, `size ${entry(grown).size + 4}, expected ${entry(grown).size}`),
          at(large, `digest ${sha256(largeOther)}, expected ${entry(large).digest}`),
        ],
      })

      // The check on the event loop words each damage the same way, but follows a link (and
      // finds the valid copy) and sees no object where a folder is.
      expect((await verify(false)).problems).toEqual([
        report.problems[0],
        at(folderAt, 'missing from storage'),
        ...report.problems.slice(2, 4),
        ...report.problems.slice(5),
      ])
      // A shallow check stays a stat per file: only what the sizes show.
      const shallow = await verify(true, { deep: false })
      expect(shallow.problems.map((p) => p.location)).toEqual(
        [truncated, folderAt, deleted, grown].map((i) => blobLocation(entry(i).digest)),
      )
    } finally {
      for (const [i, bytes] of originals) {
        await rm(blobFile(i), { recursive: true, force: true })
        await writeFile(blobFile(i), bytes)
      }
    }
    expect(await verify(true)).toEqual({ checked: 1, ok: 1, problems: [] })
  })

  it('stops when aborted, with the signal reason, before or while the threads run', async () => {
    const reason = new Error('stop checking')
    await expect(verify(true, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    // Aborted as the second batch is handed out, the first already posted to a thread.
    const controller = new AbortController()
    let asked = 0
    const pending = verify(
      (path) => {
        if (++asked === 300) controller.abort(reason)
        return path
      },
      { signal: controller.signal },
    )
    await expect(pending).rejects.toBe(reason)
    expect(asked).toBeLessThan(files.length)
  })

  it('fails, naming the blob, on one it cannot read at all, rather than calling it damaged', async () => {
    const unreadable = (files[3] as ManifestEntry).digest
    // A name the file system refuses (ENAMETOOLONG): a read that fails for a reason other than
    // the object's absence, whoever runs the test.
    const error = await verify((path, location) => (location === blobLocation(unreadable) ? join(root, 'x'.repeat(300)) : path)).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    )
    expect(error?.code).toBe('BACKEND_UNAVAILABLE')
    expect(error?.message).toBe(`files: verify of ${blobLocation(unreadable)} failed (ENAMETOOLONG)`)
  })
})
