import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { BLOB_PREFIX } from '@assets/core'
import { expect } from 'vitest'
import { collect, type ManagerSuiteContext, rejection, withSession } from './manager-fixtures.js'

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`

export function contentTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}put, get and stream round-trip a file byte for byte`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17)
      const put = await s.manager.put(s.key(), await s.file(bytes), { organism: 'human' }, { kind: 'dataset' })
      expect(put).toMatchObject({ version: '1.0.0', type: 'file', size: bytes.length, digest: sha(bytes), created: true, kind: 'dataset' })
      const path = await s.manager.get(s.key())
      expect(sha(await readFile(path))).toBe(sha(bytes))
      expect(sha(await collect(await s.manager.stream(s.key())))).toBe(sha(bytes))
      const again = await s.manager.get(s.key(), '1.0.0')
      // Through a cache, the second get is the same entry; without one, a fresh copy.
      if (ctx.withCache) expect(again).toBe(path)
      expect(sha(await readFile(again))).toBe(sha(bytes))
    }))

  it(`${prefix}stream honours ranges and chunk sizes`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(100_000)
      await s.manager.put(s.key(), await s.file(bytes))
      expect(await collect(await s.manager.stream(s.key(), 'latest', { start: 10, end: 1000 }))).toEqual(bytes.subarray(10, 1000))
      expect(await collect(await s.manager.stream(s.key(), 'latest', { start: 99_990 }))).toEqual(bytes.subarray(99_990))
      const chunks: number[] = []
      for await (const c of await s.manager.stream(s.key(), 'latest', { chunkSize: 30_000 })) chunks.push(c.length)
      expect(chunks).toEqual([30_000, 30_000, 30_000, 10_000])
      await s.manager.get(s.key())
      expect(await collect(await s.manager.stream(s.key(), 'latest', { start: 5, end: 9 }))).toEqual(bytes.subarray(5, 9))
      expect((await rejection(s.manager.stream(s.key(), 'latest', { start: 10, end: 5 }))).code).toBe('INVALID_INPUT')
      expect((await rejection(s.manager.stream(s.key(), 'latest', { end: 100_001 }))).code).toBe('INVALID_INPUT')
    }))

  it(`${prefix}a folder asset round-trips as a manifest of its files`, () =>
    withSession(ctx, async (s) => {
      const weights = randomBytes(200_000)
      const src = await s.folder({ 'config.json': '{"layers": 2}', 'weights/model.bin': weights, 'weights/empty': '' })
      const put = await s.manager.put(s.key('model'), src, {}, { kind: 'model' })
      expect(put).toMatchObject({ type: 'folder', fileCount: 3, size: weights.length + 13 })
      const dir = await s.manager.get(s.key('model'))
      expect((await stat(dir)).isDirectory()).toBe(true)
      expect(await readFile(join(dir, 'config.json'), 'utf8')).toBe('{"layers": 2}')
      expect(sha(await readFile(join(dir, 'weights/model.bin')))).toBe(sha(weights))
      expect((await readdir(join(dir, 'weights'))).sort()).toEqual(['empty', 'model.bin'])
      const streamed = await collect(await s.manager.stream(s.key('model'), 'latest', { path: 'weights/model.bin' }))
      expect(sha(streamed)).toBe(sha(weights))
      expect((await rejection(s.manager.stream(s.key('model')))).code).toBe('INVALID_INPUT')
      expect((await rejection(s.manager.stream(s.key('model'), 'latest', { path: 'nope' }))).code).toBe('ASSET_NOT_FOUND')
      // The same folder again is the same digest: no new version.
      const again = await s.manager.put(s.key('model'), await s.folder({ 'config.json': '{"layers": 2}', 'weights/model.bin': weights, 'weights/empty': '' }), {}, { kind: 'model' })
      expect(again).toMatchObject({ created: false, version: '1.0.0', digest: put.digest })
    }))

  it(`${prefix}the same bytes under two keys are stored once`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(50_000)
      const a = await s.manager.put(s.key('a'), await s.file(bytes))
      const b = await s.manager.put(s.key('b'), await s.file(bytes))
      expect(a.location).toBe(b.location)
      const blobs: string[] = []
      for await (const o of s.manager.storage.list(BLOB_PREFIX)) if (o.location === a.location) blobs.push(o.location)
      expect(blobs).toEqual([a.location])
    }))

  it(`${prefix}get with out places a copy at the given path`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(10_000)
      await s.manager.put(s.key(), await s.file(bytes))
      const out = join(await s.file('x', 'out-dir/placeholder'), '..', 'copy.bin')
      expect(await s.manager.get(s.key(), 'latest', { out })).toBe(out)
      expect(await readFile(out)).toEqual(bytes)
      // The copy is the caller's to edit, and an existing file at `out` is replaced.
      await writeFile(out, 'edited')
      await s.manager.get(s.key(), 'latest', { out })
      expect(await readFile(out)).toEqual(bytes)
      // An existing folder receives the copy under the version's file name; one in that place is never emptied.
      const folder = join(out, '..')
      const named = await s.manager.get(s.key(), 'latest', { out: folder })
      expect(named).toBe(join(folder, (await s.manager.getMetadata(s.key())).fileName ?? 'no name recorded'))
      expect(await readFile(named)).toEqual(bytes)
      // A name chosen by whoever put the version never replaces a file there, nor makes a hidden one.
      await writeFile(named, 'mine')
      expect((await rejection(s.manager.get(s.key(), 'latest', { out: folder }))).code).toBe('INVALID_INPUT')
      expect(await readFile(named, 'utf8')).toBe('mine')
      await s.manager.put(s.key('hidden'), await s.file(bytes, 'elsewhere/.bashrc'))
      expect((await rejection(s.manager.get(s.key('hidden'), 'latest', { out: folder }))).code).toBe('INVALID_INPUT')
      expect(await readdir(folder)).not.toContain('.bashrc')
      await mkdir(join(folder, 'taken.bin', 'inside'), { recursive: true })
      await s.manager.put(s.key('taken'), await s.file(bytes, 'elsewhere/taken.bin'))
      expect((await rejection(s.manager.get(s.key('taken'), 'latest', { out: folder }))).code).toBe('INVALID_INPUT')
      expect(await readdir(join(folder, 'taken.bin'))).toEqual(['inside'])
    }))

  it(`${prefix}get hands a file and a folder back under the names they were put with`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(20_000)
      const file = await s.manager.put(s.key('pbmc'), await s.file(bytes, 'pbmc3k.h5ad'), {}, { kind: 'dataset' })
      expect(file.fileName).toBe('pbmc3k.h5ad')
      expect((await s.manager.getMetadata(s.key('pbmc'))).fileName).toBe('pbmc3k.h5ad')
      const path = await s.manager.get(s.key('pbmc'))
      expect(basename(path)).toBe('pbmc3k.h5ad')
      expect(await readFile(path)).toEqual(bytes)
      const store = await s.manager.put(s.key('store'), await s.folder({ '.zgroup': '{"zarr_format": 2}', 'X/0.0': bytes }, 'cells.zarr'))
      expect(store.fileName).toBe('cells.zarr')
      const dir = await s.manager.get(s.key('store'))
      expect(basename(dir)).toBe('cells.zarr')
      expect((await stat(dir)).isDirectory()).toBe(true)
      expect(await readFile(join(dir, 'X/0.0'))).toEqual(bytes)
      // The same bytes put again from a temporary path are the same version, under its first name;
      // a name given on purpose is a change, and makes a new version.
      const again = await s.manager.put(s.key('pbmc'), await s.file(bytes, 'tmp-upload-1234'), {}, { kind: 'dataset' })
      expect(again).toMatchObject({ created: false, version: '1.0.0', fileName: 'pbmc3k.h5ad' })
      const renamed = await s.manager.put(s.key('pbmc'), await s.file(bytes, 'tmp-upload-5678'), {}, { kind: 'dataset', fileName: 'pbmc.h5ad' })
      expect(renamed).toMatchObject({ created: true, version: '1.0.1', fileName: 'pbmc.h5ad' })
      expect(basename(await s.manager.get(s.key('pbmc')))).toBe('pbmc.h5ad')
    }))

  it(`${prefix}two versions of one asset, or two assets with one file name, never collide`, () =>
    withSession(ctx, async (s) => {
      const [a, b, c] = [randomBytes(5000), randomBytes(6000), randomBytes(7000)]
      await s.manager.put(s.key('one'), await s.file(a, 'v1/data.csv'))
      await s.manager.put(s.key('one'), await s.file(b, 'v2/data.csv'))
      await s.manager.put(s.key('two'), await s.file(c, 'other/data.csv'))
      const paths = [await s.manager.get(s.key('one'), '1.0.0'), await s.manager.get(s.key('one'), '1.0.1'), await s.manager.get(s.key('two'))]
      expect(paths.map((p) => basename(p))).toEqual(['data.csv', 'data.csv', 'data.csv'])
      expect(new Set(paths).size).toBe(3)
      expect(await Promise.all(paths.map((p) => readFile(p)))).toEqual([a, b, c])
    }))

  it(`${prefix}fileName names a temporary source; a version without a name gets the key's last segment`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(3000)
      const put = await s.manager.put(s.key('named'), await s.file(bytes, 'tmpXq81z'), {}, { fileName: 'counts.tsv' })
      expect(put.fileName).toBe('counts.tsv')
      expect(basename(await s.manager.get(s.key('named')))).toBe('counts.tsv')
      for (const fileName of ['a/b.tsv', '..', 'bell\u0007.tsv']) {
        expect((await rejection(s.manager.put(s.key('bad-name'), await s.file(bytes), {}, { fileName }))).code).toBe('INVALID_INPUT')
      }
      // A version registered before names were recorded has none: its key's last segment stands in.
      const { fileName: _, ...unnamed } = put
      await s.manager.registry.register({ ...unnamed, version: '9.0.0', createdAt: new Date().toISOString() }, { actor: `user:${s.manager.actor.user}` })
      const path = await s.manager.get(s.key('named'), '9.0.0')
      expect(basename(path)).toBe(basename(s.key('named')))
      expect(await readFile(path)).toEqual(bytes)
    }))

  if (ctx.withCache) {
  it(`${prefix}a truncated or bit-flipped cache entry is detected and fetched again`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(64 * 1024)
      await s.manager.put(s.key(), await s.file(bytes))
      const { chmod, truncate, open } = await import('node:fs/promises')
      const path = await s.manager.get(s.key())
      await chmod(path, 0o644)
      await truncate(path, 1000)
      if ((await stat(path)).nlink > 1) {
        // The entry was the stored blob itself (a hard link): its damage is reported, not handed back.
        expect((await rejection(s.manager.get(s.key()))).code).toBe('INTEGRITY_ERROR')
        return
      }
      expect(await readFile(await s.manager.get(s.key()))).toEqual(bytes)
      const again = await s.manager.get(s.key())
      await chmod(again, 0o644)
      const handle = await open(again, 'r+')
      const b = Buffer.alloc(1)
      await handle.read(b, 0, 1, 500)
      b[0] = (b[0] ?? 0) ^ 0x01
      await handle.write(b, 0, 1, 500)
      await handle.close()
      expect(sha(await readFile(await s.manager.get(s.key())))).toBe(sha(bytes))
    }))
  }

  it(`${prefix}validators run before anything is written and their issues reach the caller`, () =>
    withSession(ctx, async (s) => {
      const { ValidationError } = await import('@assets/core')
      s.manager.registerValidator(
        ({ metadata }) => {
          if (metadata.organism === undefined) throw new ValidationError('dataset refused', [{ code: 'MISSING_ORGANISM', path: 'organism', message: 'organism is required' }])
        },
        { kinds: ['dataset'] },
      )
      const src = await s.file(randomBytes(1000))
      const error = await rejection(s.manager.put(s.key(), src, {}, { kind: 'dataset' }))
      expect(error.code).toBe('VALIDATION_FAILED')
      expect((error as unknown as { issues: unknown[] }).issues).toEqual([{ code: 'MISSING_ORGANISM', path: 'organism', message: 'organism is required' }])
      expect(await s.manager.registry.listVersions(s.key(), { includeDeleted: true })).toEqual([])
      // Validators for other kinds do not run.
      expect((await s.manager.put(s.key(), src, {}, { kind: 'config' })).created).toBe(true)
    }))
}
