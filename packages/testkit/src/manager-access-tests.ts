import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { type ManagerSuiteContext, rejection, withSession } from './manager-fixtures.js'

export function accessTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}to an actor who may not read it, an asset answers every method as a missing one does`, () =>
    withSession(ctx, async (s) => {
      const k = s.key('hidden')
      const absent = s.key('absent')
      await s.manager.put(k, await s.file('secret'), { project: 'x' }, { accessControl: { read: [] }, tags: ['t'] })
      const bob = s.stranger()
      const src = await s.file('more')
      const calls = (key: string): Record<string, () => Promise<unknown>> => ({
        get: () => bob.get(key),
        stream: () => bob.stream(key),
        getMetadata: () => bob.getMetadata(key),
        'getMetadata@version': () => bob.getMetadata(key, '1.0.0'),
        'getMetadata@tag': () => bob.getMetadata(key, 't'),
        getVersion: () => bob.getVersion(key, '1.0.0'),
        listVersions: () => bob.listVersions(key),
        listTags: () => bob.listTags(key),
        tag: () => bob.tag(key, 'mine', '1.0.0'),
        untag: () => bob.untag(key, 't'),
        setAccessControl: () => bob.setAccessControl(key, { read: ['*'] }),
        'setAccessControl@version': () => bob.setAccessControl(key, { read: ['*'] }, '1.0.0'),
        annotate: () => bob.annotate(key, 'hello'),
        listAnnotations: () => bob.listAnnotations(key),
        delete: () => bob.delete(key, '1.0.0'),
        lineage: () => bob.lineage(key),
        verify: () => bob.verify(key),
        audit: () => bob.audit({ key }),
        relate: () => bob.put(s.key('mine'), src, {}, { relationships: [{ relation: 'uses', key, version: 'latest' }] }),
      })
      const hidden = calls(k)
      const missing = calls(absent)
      for (const name of Object.keys(hidden)) {
        const a = await rejection(hidden[name]!())
        const b = await rejection(missing[name]!())
        // Same code, same message but for the key: nothing tells "hidden" from "missing".
        expect({ name, code: a.code, message: a.message.replaceAll(k, 'K') }).toEqual({ name, code: 'ASSET_NOT_FOUND', message: b.message.replaceAll(absent, 'K') })
      }
      // A put cannot create a key that exists; the refusal names no version, owner or tag.
      for (const version of [undefined, '1.0.0', '1.0.0+b']) {
        const put = await rejection(bob.put(k, src, {}, { version }))
        expect(put.code).toBe('ACCESS_DENIED')
        expect(put.message).not.toContain('1.0.0')
        expect(put.message).not.toContain(s.manager.actor.user)
      }
      expect((await rejection(bob.gc({ dryRun: true }))).code).toBe('ACCESS_DENIED')
      // findAssets filters instead of failing: bob simply sees nothing.
      expect((await bob.findAssets({ keyPrefix: `${s.prefix}/` })).items).toEqual([])
      expect((await bob.findAssets({ keyPrefix: `${s.prefix}/`, where: { project: 'x' } })).items).toEqual([])
      expect((await s.manager.findAssets({ keyPrefix: `${s.prefix}/` })).items.map((r) => r.key)).toEqual([k])
      // Nothing changed under the refusals.
      expect((await s.manager.listVersions(k)).map((r) => r.version)).toEqual(['1.0.0'])
      expect(await s.manager.listTags(k)).toEqual({ t: '1.0.0' })
      expect(await s.manager.listAnnotations(k)).toEqual([])
    }))

  it(`${prefix}a version or tag a reader may not read is answered as a missing one`, () =>
    withSession(ctx, async (s) => {
      const k = s.key()
      await s.manager.put(k, await s.file('public'), {}, { version: '1.0.0', tags: ['stable'] })
      await s.manager.put(k, await s.file('candidate'), {}, { version: '2.0.0-rc.1', tags: ['beta'] })
      await s.manager.annotate(k, 'rc note', undefined, '2.0.0-rc.1')
      await s.manager.setAccessControl(k, { read: [] }, '2.0.0-rc.1')
      const bob = s.stranger()
      expect((await bob.listVersions(k, { includeDeleted: true })).map((r) => r.version)).toEqual(['1.0.0'])
      expect(await bob.listTags(k)).toEqual({ stable: '1.0.0' })
      expect(await bob.listAnnotations(k)).toEqual([])
      const same = async (hidden: () => Promise<unknown>, missing: () => Promise<unknown>) => {
        const [a, b] = [await rejection(hidden()), await rejection(missing())]
        expect(a.code).toBe('ASSET_NOT_FOUND')
        expect(a.message.replace('2.0.0-rc.1', 'V').replace('beta', 'V')).toBe(b.message.replace('9.9.9', 'V').replace('nosuch', 'V'))
      }
      await same(() => bob.getMetadata(k, '2.0.0-rc.1'), () => bob.getMetadata(k, '9.9.9'))
      await same(() => bob.getMetadata(k, 'beta'), () => bob.getMetadata(k, 'nosuch'))
      await same(() => bob.untag(k, 'beta'), () => bob.untag(k, 'nosuch'))
      await same(() => bob.delete(k, '2.0.0-rc.1'), () => bob.delete(k, '9.9.9'))
      // Reading the key does not make the hidden version writable through another door.
      expect((await rejection(bob.setAccessControl(k, { read: ['*'] }))).message).not.toContain('2.0.0-rc.1')
      expect((await s.manager.listVersions(k)).map((r) => r.version)).toEqual(['2.0.0-rc.1', '1.0.0'])
    }))

  it(`${prefix}relationships to what a reader may not read are left out wherever records are shown, as in lineage`, () =>
    withSession(ctx, async (s) => {
      const hidden = s.key('hidden')
      const shared = s.key('shared')
      const k = s.key('result')
      await s.manager.put(hidden, await s.file('h'), {}, { accessControl: { read: [] } })
      await s.manager.put(shared, await s.file('s'))
      const relationships = [{ relation: 'uses', key: hidden, version: 'latest' }, { relation: 'uses', key: shared, version: 'latest' }]
      await s.manager.put(k, await s.file('r'), {}, { relationships })
      const all = [{ relation: 'uses', key: hidden, version: '1.0.0' }, { relation: 'uses', key: shared, version: '1.0.0' }]
      const visible = [{ relation: 'uses', key: shared, version: '1.0.0' }]
      const bob = s.stranger()
      const byKey = async (m: typeof bob) => (await m.findAssets({ keyPrefix: `${s.prefix}/` })).items.find((r) => r.key === k)?.relationships
      expect((await bob.getMetadata(k)).relationships).toEqual(visible)
      expect((await bob.listVersions(k))[0]?.relationships).toEqual(visible)
      expect(await byKey(bob)).toEqual(visible)
      expect((await bob.lineage(k, { direction: 'up' })).edges.map((e) => e.to.key)).toEqual([shared])
      // Who may read both sees both, everywhere.
      expect((await s.manager.getMetadata(k)).relationships).toEqual(all)
      expect(await byKey(s.manager)).toEqual(all)
      expect((await s.admin.listVersions(k))[0]?.relationships).toEqual(all)
    }))

  it(`${prefix}read grants reading but not writing; write and admin grant more`, () =>
    withSession(ctx, async (s) => {
      const k = s.key()
      await s.manager.put(k, await s.file(randomBytes(500)), {}, { accessControl: { read: [] } })
      const bob = s.stranger()
      const user = `user:${bob.actor.user}`
      await s.manager.setAccessControl(k, { read: [user] })
      expect((await bob.getMetadata(k)).version).toBe('1.0.0')
      expect((await bob.findAssets({ keyPrefix: `${s.prefix}/` })).items).toHaveLength(1)
      expect((await rejection(bob.put(k, await s.file('x')))).code).toBe('ACCESS_DENIED')
      await s.manager.setAccessControl(k, { write: [user] })
      expect((await bob.put(k, await s.file('x'))).version).toBe('1.0.1')
      // The new version inherits the ACL, so its owner is still alice.
      expect((await s.manager.getMetadata(k)).accessControl.owner).toBe(`user:${s.manager.actor.user}`)
      expect((await rejection(bob.setAccessControl(k, { read: ['*'] }))).code).toBe('ACCESS_DENIED')
      expect((await rejection(bob.delete(k, '1.0.0'))).code).toBe('ACCESS_DENIED')
      // A writer may add versions but not decide who can access them.
      const takeover = await rejection(bob.put(k, await s.file('mine now'), {}, { accessControl: { owner: user, read: [] } }))
      expect(takeover.code).toBe('ACCESS_DENIED')
      expect((await s.manager.getMetadata(k)).version).toBe('1.0.1')
      await s.manager.setAccessControl(k, { admin: [user] })
      await bob.delete(k, '1.0.0')
    }))

  it(`${prefix}groups, roles and * are principals; the admin role may do anything`, () =>
    withSession(ctx, async (s) => {
      const k = s.key()
      await s.manager.put(k, await s.file('g'), {}, { accessControl: { read: ['group:lab'], write: ['role:curator'] } })
      expect((await s.stranger({ groups: ['lab'] }).getMetadata(k)).key).toBe(k)
      expect((await rejection(s.stranger({ groups: ['other'] }).get(k))).code).toBe('ASSET_NOT_FOUND')
      expect((await s.stranger({ roles: ['curator'] }).put(k, await s.file('h'))).version).toBe('1.0.1')
      expect((await s.admin.findAssets({ keyPrefix: `${s.prefix}/` })).items).toHaveLength(1)
      await s.admin.setAccessControl(k, { read: ['*'] })
      expect((await s.stranger().getMetadata(k)).version).toBe('1.0.1')
      expect((await rejection(s.manager.setAccessControl(k, { read: ['nobody'] }))).code).toBe('INVALID_INPUT')
    }))

  it(`${prefix}annotations and every mutation are recorded with their actor`, () =>
    withSession(ctx, async (s) => {
      const k = s.key()
      await s.manager.put(k, await s.file('a'))
      const note = await s.manager.annotate(k, 'QC passed', undefined, '1.0.0')
      expect(note).toMatchObject({ key: k, version: '1.0.0', text: 'QC passed', user: s.manager.actor.user })
      expect((await s.manager.listAnnotations(k)).map((a) => a.text)).toEqual(['QC passed'])
      await s.manager.tag(k, 'gold', '1.0.0')
      await s.manager.setAccessControl(k, { read: ['group:lab'] })
      const actions = (await s.manager.audit({ key: k })).map((e) => [e.action, e.actor])
      const me = `user:${s.manager.actor.user}`
      for (const action of ['register', 'annotate', 'tag', 'acl']) {
        expect(actions.some(([a, who]) => (a ?? '').includes(action) && who === me), `${action} in ${JSON.stringify(actions)}`).toBe(true)
      }
      expect((await rejection(s.manager.annotate(k, '   '))).code).toBe('INVALID_INPUT')
    }))
}
