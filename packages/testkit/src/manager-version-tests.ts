import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { type ManagerSuiteContext, rejection, withSession } from './manager-fixtures.js'

export function versionTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}put without a version starts at 1.0.0 and bumps the patch`, () =>
    withSession(ctx, async (s) => {
      expect((await s.manager.put(s.key(), await s.file('one'))).version).toBe('1.0.0')
      expect((await s.manager.put(s.key(), await s.file('two'))).version).toBe('1.0.1')
      expect((await s.manager.put(s.key(), await s.file('three'), {}, { version: 'v2.0.0' })).version).toBe('2.0.0')
      expect((await s.manager.put(s.key(), await s.file('four'))).version).toBe('2.0.1')
      // The same bytes and metadata again: nothing new.
      const same = await s.manager.put(s.key(), await s.file('four'))
      expect(same).toMatchObject({ version: '2.0.1', created: false })
      // Same bytes, new metadata or other fields: a new version.
      expect((await s.manager.put(s.key(), await s.file('four'), { note: 'relabelled' })).version).toBe('2.0.2')
      const described = await s.manager.put(s.key(), await s.file('four'), { note: 'relabelled' }, { kind: 'model', description: 'now a model' })
      expect(described).toMatchObject({ version: '2.0.3', kind: 'model', description: 'now a model', created: true })
    }))

  it(`${prefix}a version is immutable: same content is a no-op, other content a VersionConflictError`, () =>
    withSession(ctx, async (s) => {
      const first = await s.manager.put(s.key(), await s.file('content A'), {}, { version: '1.2.3' })
      const again = await s.manager.put(s.key(), await s.file('content A'), {}, { version: '1.2.3' })
      expect(again).toMatchObject({ created: false, digest: first.digest })
      const error = await rejection(s.manager.put(s.key(), await s.file('content B'), {}, { version: 'v1.2.3' }))
      expect(error.code).toBe('VERSION_CONFLICT')
      expect(error.message).toContain('1.2.3')
      const versions = await s.manager.listVersions(s.key())
      expect(versions.map((v) => v.digest)).toEqual([first.digest])
    }))

  it(`${prefix}listVersions is highest first by semantic version`, () =>
    withSession(ctx, async (s) => {
      for (const v of ['1.10.0', '1.2.0', '2.0.0-rc.1', '1.9.9', '2.0.0-alpha', '0.1.0']) {
        await s.manager.put(s.key(), await s.file(`bytes of ${v}`), {}, { version: v })
      }
      expect((await s.manager.listVersions(s.key())).map((r) => r.version)).toEqual(['2.0.0-rc.1', '2.0.0-alpha', '1.10.0', '1.9.9', '1.2.0', '0.1.0'])
    }))

  it(`${prefix}latest is the highest release and tags point at exact versions`, () =>
    withSession(ctx, async (s) => {
      const k = s.key()
      await s.manager.put(k, await s.file('a'), {}, { version: '1.0.0', tags: ['paper-2025'] })
      await s.manager.put(k, await s.file('b'), {}, { version: '1.1.0' })
      await s.manager.put(k, await s.file('c'), {}, { version: '2.0.0-rc.1' })
      expect((await s.manager.getMetadata(k)).version).toBe('1.1.0')
      expect((await s.manager.getMetadata(k, 'paper-2025')).version).toBe('1.0.0')
      expect((await s.manager.getMetadata(k, '1.0.0')).tags).toEqual(['paper-2025'])
      expect((await s.manager.getMetadata(k)).tags).toEqual(['latest'])
      await s.manager.tag(k, 'production', '1.1.0')
      await s.manager.tag(k, 'paper-2025', 'latest')
      expect(await s.manager.listTags(k)).toEqual({ production: '1.1.0', 'paper-2025': '1.1.0' })
      await s.manager.untag(k, 'production')
      expect((await rejection(s.manager.get(k, 'production'))).code).toBe('ASSET_NOT_FOUND')
      expect((await rejection(s.manager.tag(k, 'latest', '1.0.0'))).code).toBe('INVALID_INPUT')
      expect((await rejection(s.manager.tag(k, '3.0.0', '1.0.0'))).code).toBe('INVALID_INPUT')
      expect((await rejection(s.manager.tag(k, 'x', '9.9.9'))).code).toBe('ASSET_NOT_FOUND')
    }))

  it(`${prefix}a soft-deleted version disappears from reads but stays in the audit trail`, () =>
    withSession(ctx, async (s) => {
      const k = s.key()
      await s.manager.put(k, await s.file('one'))
      await s.manager.put(k, await s.file('two'))
      await s.manager.delete(k, '1.0.1')
      expect((await s.manager.getMetadata(k)).version).toBe('1.0.0')
      const error = await rejection(s.manager.get(k, '1.0.1'))
      expect(error.code).toBe('ASSET_NOT_FOUND')
      expect(error.message).toContain('deleted')
      expect((await s.manager.listVersions(k)).map((r) => r.version)).toEqual(['1.0.0'])
      expect((await s.manager.listVersions(k, { includeDeleted: true })).map((r) => r.version)).toEqual(['1.0.1', '1.0.0'])
      // The exact version is still there for what refers to it (lineage, audit), marked deleted.
      expect(await s.manager.getVersion(k, 'v1.0.1')).toMatchObject({ key: k, version: '1.0.1', deletedAt: expect.any(String) })
      expect((await rejection(s.manager.getVersion(k, '1.0.9'))).code).toBe('ASSET_NOT_FOUND')
      // A deleted number is never reused.
      expect((await s.manager.put(k, await s.file('three'))).version).toBe('1.0.2')
      const audit = await s.manager.audit({ key: k })
      expect(audit.some((e) => e.action.includes('delete') && e.version === '1.0.1' && e.actor === `user:${s.manager.actor.user}`)).toBe(true)
    }))

  it(`${prefix}lineage follows relationships up and down`, () =>
    withSession(ctx, async (s) => {
      const raw = await s.manager.put(s.key('raw'), await s.file(randomBytes(100)), {}, { kind: 'dataset' })
      const clean = await s.manager.put(s.key('clean'), await s.file(randomBytes(100)), {}, {
        kind: 'dataset',
        relationships: [{ relation: 'derived_from', key: s.key('raw'), version: 'latest' }],
      })
      await s.manager.put(s.key('model'), await s.file(randomBytes(100)), {}, {
        kind: 'model',
        relationships: [{ relation: 'trained_on', key: s.key('clean'), version: clean.version }],
      })
      const up = await s.manager.lineage(s.key('model'), { direction: 'up' })
      expect(up.edges.map((e) => [e.from.key, e.relation, e.to.key, e.depth])).toEqual([
        [s.key('model'), 'trained_on', s.key('clean'), 1],
        [s.key('clean'), 'derived_from', s.key('raw'), 2],
      ])
      const shallow = await s.manager.lineage(s.key('model'), { direction: 'up', depth: 1 })
      expect(shallow.edges).toHaveLength(1)
      const down = await s.manager.lineage(s.key('raw'), { direction: 'down' })
      expect(down.edges.map((e) => [e.from.key, e.to.key, e.depth])).toEqual([
        [s.key('clean'), s.key('raw'), 1],
        [s.key('model'), s.key('clean'), 2],
      ])
      expect(down.root).toEqual({ key: s.key('raw'), version: raw.version })
      const missing = await rejection(
        s.manager.put(s.key('orphan'), await s.file('x'), {}, { relationships: [{ relation: 'derived_from', key: s.key('nope'), version: '1.0.0' }] }),
      )
      expect(missing.code).toBe('ASSET_NOT_FOUND')
    }))

  it(`${prefix}findAssets filters metadata, kind, tag and text`, () =>
    withSession(ctx, async (s) => {
      await s.manager.put(s.key('pbmc'), await s.file('p'), { organism: 'human', n_cells: 2700 }, { kind: 'dataset', description: 'PBMC 3k cells', tags: ['gold'] })
      await s.manager.put(s.key('brain'), await s.file('b'), { organism: 'mouse', n_cells: 500 }, { kind: 'dataset' })
      await s.manager.put(s.key('scgpt'), await s.file('m'), { organism: 'human' }, { kind: 'model' })
      const keys = async (q: Parameters<typeof s.manager.findAssets>[0]) =>
        (await s.manager.findAssets({ keyPrefix: `${s.prefix}/`, sort: { field: 'key' }, ...q })).items.map((r) => r.key)
      expect(await keys({ where: { organism: 'human' } })).toEqual([s.key('pbmc'), s.key('scgpt')])
      expect(await keys({ where: { organism: 'human', n_cells: { $gte: 1000 } } })).toEqual([s.key('pbmc')])
      expect(await keys({ kind: 'model' })).toEqual([s.key('scgpt')])
      expect(await keys({ tag: 'gold' })).toEqual([s.key('pbmc')])
      expect(await keys({ text: 'pbmc 3K' })).toEqual([s.key('pbmc')])
      expect((await rejection(s.manager.findAssets({ where: { organism: { $regex: 'x' } as never } }))).code).toBe('INVALID_QUERY')
    }))
}
