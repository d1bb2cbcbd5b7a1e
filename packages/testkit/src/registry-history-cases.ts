import type {
  AccessControl,
  LineageEdge,
  ReadScope,
} from '@assets/core'
import { contentOf, makeRecord, SUPERUSER_SCOPE, scopeOf } from './record-fixtures.js'
import { ACTOR, type Define, EVERYONE, PRIVATE_TO_ALICE, rejection, type SuiteContext } from './registry-case.js'

export function annotationsAndDeletion(test: Define): void {
  test('annotate stores notes that listAnnotations returns oldest first', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    const note = (version: string, text: string, minute: number) => ({
      key: k, version, text, user: 'user:bob', createdAt: `2024-05-01T10:0${minute}:00.000Z`,
    })
    await registry.annotate(note('1.0.0', 'first look', 1), { actor: 'user:bob' })
    await registry.annotate(note('2.0.0', 'newer version', 2), { actor: 'user:bob' })
    await registry.annotate(note('1.0.0', 'batch effect in donor 3', 3), { actor: 'user:bob' })
    expect(await registry.listAnnotations(k, '1.0.0')).toEqual([note('1.0.0', 'first look', 1), note('1.0.0', 'batch effect in donor 3', 3)])
    expect((await registry.listAnnotations(k)).map((a) => a.text)).toEqual(['first look', 'newer version', 'batch effect in donor 3'])
  })

  test('annotate on a version that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    const note = { key: key(), version: '1.0.0', text: 'x', user: 'user:bob', createdAt: new Date().toISOString() }
    await rejection(expect, registry.annotate(note, { actor: 'user:bob' }), 'ASSET_NOT_FOUND')
  })

  test('softDelete moves latest back to the previous version', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '1.1.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'latest')).toBe('1.1.0')
  })

  test('resolve skips a deleted version while get still returns it', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    const before = Date.now()
    await registry.softDelete(k, '1.0.0', { actor: 'user:remover' })
    expect(await registry.resolve(k, '1.0.0')).toBeNull()
    const deleted = await registry.get(k, '1.0.0')
    expect(deleted?.deletedBy).toBe('user:remover')
    expect(Date.parse(deleted?.deletedAt ?? '')).toBeGreaterThanOrEqual(before - 1000)
  })

  test('softDelete of every version leaves latest unresolved', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.softDelete(k, '2.0.0', { actor: ACTOR })
    await registry.softDelete(k, '1.0.0', { actor: ACTOR })
    expect(await registry.resolve(k, 'latest')).toBeNull()
    expect(await registry.listVersions(k)).toEqual([])
  })

  test('softDelete on a version that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    await rejection(expect, registry.softDelete(key(), '1.0.0', { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })
}

export function auditTrail(test: Define): void {
  test('every mutation writes an audit row with its actor, newest first', async ({ registry, expect, key }) => {
    const k = key()
    const before = Date.now()
    await registry.register(makeRecord(k, '1.0.0'), { actor: 'user:a1' })
    await registry.register(makeRecord(k, '2.0.0'), { actor: 'user:a2' })
    await registry.setTag(k, 'production', '2.0.0', { actor: 'user:a3' })
    await registry.removeTag(k, 'production', { actor: 'user:a4' })
    await registry.setAccessControl(k, '2.0.0', PRIVATE_TO_ALICE, { actor: 'user:a5' })
    await registry.annotate({ key: k, version: '2.0.0', text: 'note', user: 'user:a6', createdAt: new Date().toISOString() }, { actor: 'user:a6' })
    await registry.softDelete(k, '2.0.0', { actor: 'user:a7' })
    await registry.purge(k, '2.0.0', { actor: 'user:a8' })
    const entries = await registry.audit({ key: k })
    expect(entries.map((e) => [e.action, e.actor, e.version])).toEqual([
      ['purge', 'user:a8', '2.0.0'],
      ['soft-delete', 'user:a7', '2.0.0'],
      ['annotate', 'user:a6', '2.0.0'],
      ['set-acl', 'user:a5', '2.0.0'],
      ['remove-tag', 'user:a4', '2.0.0'],
      ['set-tag', 'user:a3', '2.0.0'],
      ['register', 'user:a2', '2.0.0'],
      ['register', 'user:a1', '1.0.0'],
    ])
    for (const e of entries) {
      expect(e.key).toBe(k)
      expect(new Date(e.at).toISOString()).toBe(e.at)
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(before - 1000)
    }
  })

  test('setAccessControl for every version is audited without a version', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    await registry.setAccessControl(k, undefined, PRIVATE_TO_ALICE, { actor: 'user:acl-admin' })
    const [entry] = await registry.audit({ key: k, action: 'set-acl' })
    expect(entry).toMatchObject({ actor: 'user:acl-admin', key: k })
    expect(entry?.version).toBeUndefined()
  })

  test('recordAudit appends an entry that audit returns', async ({ registry, expect, key }) => {
    const k = key()
    await registry.recordAudit({ actor: 'user:gc', action: 'gc', key: k, details: { removed: 3, bytes: 1024 } })
    const [entry] = await registry.audit({ key: k })
    expect(entry).toMatchObject({ actor: 'user:gc', action: 'gc', key: k, details: { removed: 3, bytes: 1024 } })
    expect(entry?.id).toEqual(expect.any(Number))
  })

  test('register writes extra audit entries in its own transaction: present exactly when it created the version', async ({ registry, expect, key }) => {
    const k = key()
    const audit = [{ action: 'compat-override', details: { reason: 'converted at load time' } }]
    expect((await registry.register(makeRecord(k, '1.0.0'), { actor: 'user:o1', audit })).created).toBe(true)
    // A no-op re-registration and a refused one write nothing.
    expect((await registry.register(makeRecord(k, '1.0.0'), { actor: 'user:o2', audit })).created).toBe(false)
    await rejection(expect, registry.register(makeRecord(k, '1.0.0', contentOf('other bytes')), { actor: 'user:o3', audit }), 'VERSION_CONFLICT')
    // An entry posing as the registry's own action is refused before anything is written.
    await rejection(expect, registry.register(makeRecord(k, '2.0.0'), { actor: 'user:o4', audit: [{ action: 'register' }] }), 'INVALID_INPUT')
    expect(await registry.get(k, '2.0.0')).toBeNull()
    const entries = await registry.audit({ key: k })
    expect(entries.map((e) => [e.action, e.actor, e.version])).toEqual(
      expect.arrayContaining([['compat-override', 'user:o1', '1.0.0'], ['register', 'user:o1', '1.0.0']]),
    )
    expect(entries).toHaveLength(2)
    expect(entries.find((e) => e.action === 'compat-override')?.details).toEqual({ reason: 'converted at load time' })
  })

  test('audit filters by action and honours limit', async ({ registry, expect, key }) => {
    const k = key()
    for (const v of ['1.0.0', '2.0.0', '3.0.0']) await registry.register(makeRecord(k, v), { actor: ACTOR })
    await registry.setTag(k, 'stable', '1.0.0', { actor: ACTOR })
    expect((await registry.audit({ key: k, action: 'set-tag' })).map((e) => e.action)).toEqual(['set-tag'])
    expect((await registry.audit({ key: k, action: 'register', limit: 2 })).map((e) => e.version)).toEqual(['3.0.0', '2.0.0'])
  })
}

export function lineage(test: Define): void {
  const edge = (from: string, relation: string, to: string, depth: number) => ({ from, relation, to, depth })
  const simplify = (base: string, edges: LineageEdge[]) =>
    edges
      .map((e) => edge(`${e.from.key.slice(base.length)}@${e.from.version}`, e.relation, `${e.to.key.slice(base.length)}@${e.to.version}`, e.depth))
      .sort((a, b) => a.depth - b.depth || a.from.localeCompare(b.from) || a.to.localeCompare(b.to))
  // raw ← derived ← model ← metrics: each registered with its relationship to the one before.
  const chain = async (t: SuiteContext) => {
    const base = `${t.key()}/`
    const add = (name: string, relation?: string, to?: string) =>
      t.registry.register(
        makeRecord(`${base}${name}`, '1.0.0', { relationships: relation && to ? [{ relation, key: `${base}${to}`, version: '1.0.0' }] : [] }),
        { actor: ACTOR },
      )
    await add('raw')
    await add('derived', 'derived_from', 'raw')
    await add('model', 'trained_on', 'derived')
    await add('metrics', 'evaluates', 'model')
    const walk = async (name: string, direction: 'up' | 'down' | 'both', depth: number, scope: ReadScope = EVERYONE) =>
      simplify(base, await t.registry.lineage(`${base}${name}`, '1.0.0', { direction, depth, scope }))
    return walk
  }

  test('lineage up follows relationships to what an asset came from', async (t) => {
    const walk = await chain(t)
    t.expect(await walk('model', 'up', 10)).toEqual([
      edge('model@1.0.0', 'trained_on', 'derived@1.0.0', 1),
      edge('derived@1.0.0', 'derived_from', 'raw@1.0.0', 2),
    ])
  })

  test('lineage stops at the requested depth', async (t) => {
    const walk = await chain(t)
    t.expect(await walk('metrics', 'up', 1)).toEqual([edge('metrics@1.0.0', 'evaluates', 'model@1.0.0', 1)])
    t.expect(await walk('metrics', 'up', 2)).toHaveLength(2)
  })

  test('lineage down finds what came from an asset', async (t) => {
    const walk = await chain(t)
    t.expect(await walk('derived', 'down', 10)).toEqual([
      edge('model@1.0.0', 'trained_on', 'derived@1.0.0', 1),
      edge('metrics@1.0.0', 'evaluates', 'model@1.0.0', 2),
    ])
  })

  test('lineage both combines up and down', async (t) => {
    const walk = await chain(t)
    t.expect(await walk('derived', 'both', 1)).toEqual([
      edge('derived@1.0.0', 'derived_from', 'raw@1.0.0', 1),
      edge('model@1.0.0', 'trained_on', 'derived@1.0.0', 1),
    ])
  })

  test('lineage ends on cycles and reports each edge once', async (t) => {
    const base = `${t.key()}/`
    const link = (from: string, to: string) =>
      t.registry.register(makeRecord(`${base}${from}`, '1.0.0', { relationships: [{ relation: 'uses', key: `${base}${to}`, version: '1.0.0' }] }), { actor: ACTOR })
    await link('a', 'b')
    await link('b', 'c')
    await link('c', 'a')
    const up = simplify(base, await t.registry.lineage(`${base}a`, '1.0.0', { direction: 'up', depth: 500, scope: EVERYONE }))
    t.expect(up).toEqual([edge('a@1.0.0', 'uses', 'b@1.0.0', 1), edge('b@1.0.0', 'uses', 'c@1.0.0', 2), edge('c@1.0.0', 'uses', 'a@1.0.0', 3)])
    const both = simplify(base, await t.registry.lineage(`${base}a`, '1.0.0', { direction: 'both', depth: 500, scope: EVERYONE }))
    t.expect(both).toEqual([edge('a@1.0.0', 'uses', 'b@1.0.0', 1), edge('c@1.0.0', 'uses', 'a@1.0.0', 1), edge('b@1.0.0', 'uses', 'c@1.0.0', 2)])
  })

  test('lineage through a densely connected cycle ends without relying on the depth limit', async (t) => {
    // Every node relates to every other: walking without cycle detection would meet 3^depth paths.
    const base = `${t.key()}/`
    const nodes = ['n0', 'n1', 'n2', 'n3']
    for (const n of nodes) {
      const relationships = nodes.filter((m) => m !== n).map((m) => ({ relation: 'uses', key: `${base}${m}`, version: '1.0.0' }))
      await t.registry.register(makeRecord(`${base}${n}`, '1.0.0', { relationships }), { actor: ACTOR })
    }
    const edges = simplify(base, await t.registry.lineage(`${base}n0`, '1.0.0', { direction: 'up', depth: 60, scope: EVERYONE }))
    t.expect(edges).toHaveLength(12)
    t.expect(edges.filter((e) => e.depth === 1).map((e) => e.to)).toEqual(['n1@1.0.0', 'n2@1.0.0', 'n3@1.0.0'])
    t.expect(edges.every((e) => e.depth <= 2)).toBe(true)
  })

  test('lineage leaves out assets the scope cannot read and does not walk through them', async (t) => {
    const base = `${t.key()}/`
    const add = (name: string, acl: AccessControl | undefined, to?: string) =>
      t.registry.register(
        makeRecord(`${base}${name}`, '1.0.0', {
          ...(acl ? { accessControl: acl } : {}),
          relationships: to ? [{ relation: 'derived_from', key: `${base}${to}`, version: '1.0.0' }] : [],
        }),
        { actor: ACTOR },
      )
    await add('source', undefined)
    await add('hidden', PRIVATE_TO_ALICE, 'source')
    await add('top', undefined, 'hidden')
    const walk = async (name: string, direction: 'up' | 'down', scope: ReadScope) =>
      simplify(base, await t.registry.lineage(`${base}${name}`, '1.0.0', { direction, depth: 10, scope }))
    t.expect(await walk('top', 'up', scopeOf({ user: 'eve' }))).toEqual([])
    t.expect(await walk('source', 'down', scopeOf({ user: 'eve' }))).toEqual([])
    const full = [edge('top@1.0.0', 'derived_from', 'hidden@1.0.0', 1), edge('hidden@1.0.0', 'derived_from', 'source@1.0.0', 2)]
    t.expect(await walk('top', 'up', scopeOf({ user: 'alice' }))).toEqual(full)
    t.expect(await walk('top', 'up', SUPERUSER_SCOPE)).toEqual(full)
  })
}

export function maintenance(test: Define): void {
  test('referencedLocations lists every location, deleted versions included', async ({ registry, expect, key }) => {
    const k = key()
    const file = makeRecord(k, '1.0.0')
    const folder = makeRecord(k, '2.0.0', { type: 'folder', fileCount: 2 })
    await registry.register(file, { actor: ACTOR })
    await registry.register(folder, { actor: ACTOR })
    await registry.softDelete(k, '1.0.0', { actor: ACTOR })
    const seen: Array<{ location: string; type: string }> = []
    for await (const l of registry.referencedLocations()) seen.push(l)
    expect(seen).toContainEqual({ location: file.location, type: 'file' })
    expect(seen).toContainEqual({ location: folder.location, type: 'folder' })
    const keys = seen.map((l) => `${l.type}:${l.location}`)
    expect(new Set(keys).size).toBe(keys.length)
  })

  test('expired returns the versions whose expiresAt has passed', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0', { expiresAt: '2001-01-01T00:00:00.000Z' }), { actor: ACTOR })
    await registry.register(makeRecord(k, '2.0.0', { expiresAt: '2999-01-01T00:00:00.000Z' }), { actor: ACTOR })
    await registry.register(makeRecord(k, '3.0.0'), { actor: ACTOR })
    const mine = async (now: Date) => (await registry.expired(now)).filter((r) => r.key === k).map((r) => r.version)
    expect(await mine(new Date())).toEqual(['1.0.0'])
    expect(await mine(new Date('2000-12-31T23:59:59.000Z'))).toEqual([])
    expect(await mine(new Date('2001-01-01T00:00:00.000Z'))).toEqual(['1.0.0'])
  })

  test('purge removes the version with its tags and annotations, and latest moves back', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(makeRecord(k, '1.0.0'), { actor: ACTOR })
    const gone = makeRecord(k, '2.0.0')
    await registry.register(gone, { actor: ACTOR, tags: ['production'] })
    await registry.annotate({ key: k, version: '2.0.0', text: 'temporary', user: ACTOR, createdAt: new Date().toISOString() }, { actor: ACTOR })
    await registry.purge(k, '2.0.0', { actor: 'user:gc' })
    expect(await registry.get(k, '2.0.0')).toBeNull()
    expect(await registry.resolve(k, 'latest')).toBe('1.0.0')
    expect(await registry.listTags(k)).toEqual({})
    expect(await registry.listAnnotations(k)).toEqual([])
    expect((await registry.listVersions(k, { includeDeleted: true })).map((r) => r.version)).toEqual(['1.0.0'])
    const locations: string[] = []
    for await (const l of registry.referencedLocations()) locations.push(l.location)
    expect(locations).not.toContain(gone.location)
  })

  test('purge on a version that was never registered throws NotFoundError', async ({ registry, expect, key }) => {
    await rejection(expect, registry.purge(key(), '1.0.0', { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })
}

/** Awaits a rejection and checks its stable code, whichever copy of core made the error. */
