import { contentOf, makeRecord } from './record-fixtures.js'
import { ACTOR, type Define, PRIVATE_TO_ALICE, rejection } from './registry-case.js'

export function registerAndResolve(test: Define): void {
  test('register stores a record that get returns unchanged', async ({ registry, expect, key }) => {
    const k = key()
    const record = makeRecord(k, '1.0.0', {
      kind: 'model',
      type: 'folder',
      fileCount: 3,
      fileName: 'scvi model.zarr',
      description: 'A model folder',
      metadata: { organism: 'human', stats: { n_cells: 1200, genes: ['CD3E', 'MS4A1'] }, flag: false, missing: null },
      provenance: { author: 'Ada', license: 'CC-BY-4.0', citations: ['doi:10/abc'] },
      specs: { inputs: [{ name: 'X', dtype: 'float32' }] },
      declarativeSchema: { type: 'object' },
      relationships: [{ relation: 'trained_on', key: `${k}-data`, version: '2.1.0' }],
      accessControl: { owner: 'user:alice', read: ['group:lab'], write: ['user:bob'], admin: [] },
      expiresAt: '2999-01-01T00:00:00.000Z',
    })
    const result = await registry.register(record, { actor: ACTOR })
    expect(result.created).toBe(true)
    expect(result.record).toEqual(record)
    expect(await registry.get(k, '1.0.0')).toEqual(record)
  })

  test('a record without a file name comes back without one; a bad file name is refused', async ({ registry, expect, key }) => {
    const k = key()
    const { record } = await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    expect('fileName' in record).toBe(false)
    expect('fileName' in ((await registry.get(k, '1.0.0')) ?? {})).toBe(false)
    for (const fileName of ['a/b.h5ad', '..', 'x\u0007.csv', '']) {
      await rejection(expect, registry.register(makeRecord(k, '2.0.0', { fileName }), { actor: ACTOR }), 'INVALID_INPUT')
    }
    expect(await registry.get(k, '2.0.0')).toBeNull()
  })

  test('get returns null for a version that was never registered', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    expect(await registry.get(k, '1.0.1')).toBeNull()
    expect(await registry.get(key(), '1.0.0')).toBeNull()
  })

  test('register normalises a leading v in the version', async ({ registry, expect, key }) => {
    const k = key()
    const { record } = await registry.register(makeRecord(k, 'v1.2.3'), { actor: ACTOR })
    expect(record.version).toBe('1.2.3')
    expect((await registry.get(k, 'v1.2.3'))?.version).toBe('1.2.3')
    expect(await registry.resolve(k, 'v1.2.3')).toBe('1.2.3')
  })

  test('register is a no-op for the same version and digest', async ({ registry, expect, key }) => {
    const k = key()
    const first = makeRecord(k, '1.0.0', { createdAt: '2024-01-01T00:00:00.000Z' })
    await registry.register(first, { actor: ACTOR })
    const again = await registry.register({ ...first, createdAt: '2025-01-01T00:00:00.000Z', description: 'changed' }, { actor: ACTOR })
    expect(again.created).toBe(false)
    expect(again.record).toEqual(first)
    expect(await registry.listVersions(k)).toHaveLength(1)
  })

  test('a second register with another digest throws VersionConflictError', async ({ registry, expect, key }) => {
    const k = key()
    const first = makeRecord(k, '1.0.0')
    await registry.register(first, { actor: ACTOR })
    const error = await rejection(expect, registry.register(makeRecord(k, '1.0.0', contentOf('other bytes')), { actor: ACTOR }), 'VERSION_CONFLICT')
    expect(error.message).toContain(k)
    expect(error.message).toContain('1.0.0')
    expect((await registry.get(k, '1.0.0'))?.digest).toBe(first.digest)
  })

  test('versions that differ only in build metadata never coexist: the second is a VersionConflictError', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    await registry.register(makeRecord(k, '2.0.0-rc.1+build.1'), { actor: ACTOR })
    for (const [version, registered] of [['1.0.0+build.7', '1.0.0'], ['2.0.0-rc.1', '2.0.0-rc.1+build.1'], ['2.0.0-rc.1+build.2', '2.0.0-rc.1+build.1']]) {
      // Same bytes or not: semver cannot tell the two apart, so neither can latest or a range.
      const error = await rejection(expect, registry.register(makeRecord(k, version!), { actor: ACTOR }), 'VERSION_CONFLICT')
      expect(error.message).toContain(`${k}@${registered}`)
      expect(await registry.get(k, version!)).toBeNull()
    }
    await registry.softDelete(k, '1.0.0', { actor: ACTOR })
    await rejection(expect, registry.register(makeRecord(k, '1.0.0+after-delete'), { actor: ACTOR }), 'VERSION_CONFLICT')
    // The same version again is still the ordinary no-op, and other numbers are free.
    expect((await registry.register(makeRecord(k, '2.0.0-rc.1+build.1'), { actor: ACTOR })).created).toBe(false)
    expect((await registry.register(makeRecord(k, '1.0.1+build.7'), { actor: ACTOR })).created).toBe(true)
    expect((await registry.listVersions(k, { includeDeleted: true })).map((r) => r.version)).toEqual(['2.0.0-rc.1+build.1', '1.0.1+build.7', '1.0.0'])
  })

  test('register refuses a key that could escape its folder', async ({ registry, expect, key }) => {
    await rejection(expect, registry.register(makeRecord(`${key()}/../../etc`, '1.0.0'), { actor: ACTOR }), 'INVALID_KEY')
  })

  test('register with an invalid tag registers nothing', async ({ registry, expect, key }) => {
    const k = key()
    await rejection(expect, registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR, tags: ['latest'] }), 'INVALID_INPUT')
    expect(await registry.get(k, '1.0.0')).toBeNull()
    expect(await registry.audit({ key: k })).toEqual([])
  })

  test('register of a deleted version with the same digest returns it, still deleted', async ({ registry, expect, key }) => {
    const k = key()
    const record = makeRecord(k, '1.0.0')
    await registry.register(record, { actor: ACTOR })
    await registry.softDelete(k, '1.0.0', { actor: ACTOR })
    const again = await registry.register(record, { actor: ACTOR })
    expect(again.created).toBe(false)
    expect(again.record.deletedAt).toEqual(expect.any(String))
    expect(await registry.resolve(k, 'latest')).toBeNull()
  })

  test('listVersions returns versions highest first by semver precedence', async ({ registry, expect, key }) => {
    const k = key()
    const versions = ['1.10.0', '2.0.0-rc.2', '1.0.0', '2.0.0-alpha', '2.0.0-rc.10', '1.2.0', '2.0.0-rc.1']
    for (const v of versions) await registry.register(makeRecord(k, v), { actor: ACTOR })
    const listed = (await registry.listVersions(k)).map((r) => r.version)
    expect(listed).toEqual(['2.0.0-rc.10', '2.0.0-rc.2', '2.0.0-rc.1', '2.0.0-alpha', '1.10.0', '1.2.0', '1.0.0'])
  })

  test('latest resolves to the highest release, not a higher prerelease', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '1.9.0', '2.0.0-rc.1', '1.10.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    expect(await registry.resolve(k, 'latest')).toBe('1.10.0')
  })

  test('latest falls back to the highest prerelease when a key has no release', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0-alpha', '1.0.0-beta.2', '1.0.0-beta.10']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    expect(await registry.resolve(k, 'latest')).toBe('1.0.0-beta.10')
  })

  test('resolve returns null for an unknown key, version or tag', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    expect(await registry.resolve(key(), 'latest')).toBeNull()
    expect(await registry.resolve(k, '9.9.9')).toBeNull()
    expect(await registry.resolve(k, 'no-such-tag')).toBeNull()
  })

  test('listVersions leaves deleted versions out unless includeDeleted', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    expect((await registry.listVersions(k)).map((r) => r.version)).toEqual(['1.0.0'])
    expect((await registry.listVersions(k, { includeDeleted: true })).map((r) => r.version)).toEqual(['2.0.0', '1.0.0'])
  })
}

export function tags(test: Define): void {
  test('setTag points a tag at a version and resolve follows it', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setTag(k, 'paper-2025', 'v1.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'paper-2025')).toBe('1.0.0')
    expect(await registry.listTags(k)).toEqual({ 'paper-2025': '1.0.0' })
  })

  test('setTag moves an existing tag to another version', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setTag(k, 'production', '1.0.0', { actor: ACTOR })
    await registry.setTag(k, 'production', '2.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'production')).toBe('2.0.0')
    expect(await registry.listTags(k)).toEqual({ production: '2.0.0' })
  })

  test('register with tags moves them onto the new version', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR, tags: ['production', 'stable'] })
    await registry.register(makeRecord(k, '1.1.0'), { actor: ACTOR, tags: ['production'] })
    expect(await registry.listTags(k)).toEqual({ production: '1.1.0', stable: '1.0.0' })
  })

  test('removeTag removes the tag so that it no longer resolves', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR, tags: ['production'] })
    await registry.removeTag(k, 'production', { actor: ACTOR })
    expect(await registry.resolve(k, 'production')).toBeNull()
    expect(await registry.listTags(k)).toEqual({})
    await rejection(expect, registry.removeTag(k, 'production', { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })

  test('setTag refuses the reserved tag latest', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await rejection(expect, registry.setTag(k, 'latest', '1.0.0', { actor: ACTOR }), 'INVALID_INPUT')
    expect(await registry.resolve(k, 'latest')).toBe('2.0.0')
  })

  test('setTag on a version that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    await rejection(expect, registry.setTag(k, 'production', '3.0.0', { actor: ACTOR }), 'ASSET_NOT_FOUND')
    expect(await registry.listTags(k)).toEqual({})
  })

  test('setTag on a deleted version throws NotFoundError', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    await registry.softDelete(k, '1.0.0', { actor: ACTOR })
    await rejection(expect, registry.setTag(k, 'production', '1.0.0', { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })

  test('a tag on a version that is then deleted no longer resolves', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setTag(k, 'production', '2.0.0', { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'production')).toBeNull()
  })
}

export function accessControl(test: Define): void {
  test('setAccessControl with a version changes only that version', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setAccessControl(k, '1.0.0', { owner: 'user:alice', read: ['user:bob', 'group:lab'], write: [], admin: [] }, { actor: ACTOR })
    expect((await registry.get(k, '1.0.0'))?.accessControl).toEqual({ owner: 'user:alice', read: ['group:lab', 'user:bob'], write: [], admin: [] })
    expect((await registry.get(k, '2.0.0'))?.accessControl).toEqual(makeRecord(k, '2.0.0').accessControl)
  })

  test('setAccessControl without a version changes every version of the key', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0', '3.0.0-rc.1']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    await registry.setAccessControl(k, undefined, PRIVATE_TO_ALICE, { actor: ACTOR })
    for (const r of await registry.listVersions(k, { includeDeleted: true })) expect(r.accessControl).toEqual(PRIVATE_TO_ALICE)
  })

  test('setAccessControl on a key that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    await rejection(expect, registry.setAccessControl(key(), undefined, PRIVATE_TO_ALICE, { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })
}

/** Registers one version per entry under a fresh prefix; returns the prefix and a finder. */
