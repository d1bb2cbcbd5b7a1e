import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { type ManagerSuiteContext, rejection, withSession } from './manager-fixtures.js'

export function accessTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}every method denies a user without access with ACCESS_DENIED`, () =>
    withSession(ctx, async (s) => {
      const k = s.key()
      await s.manager.put(k, await s.file('secret'), { project: 'x' }, { accessControl: { read: [] }, tags: ['t'] })
      const bob = s.stranger()
      const src = await s.file('more')
      const denied = {
        get: () => bob.get(k),
        stream: () => bob.stream(k),
        getMetadata: () => bob.getMetadata(k),
        listVersions: () => bob.listVersions(k),
        listTags: () => bob.listTags(k),
        put: () => bob.put(k, src),
        tag: () => bob.tag(k, 'mine', '1.0.0'),
        untag: () => bob.untag(k, 't'),
        setAccessControl: () => bob.setAccessControl(k, { read: ['*'] }),
        annotate: () => bob.annotate(k, 'hello'),
        listAnnotations: () => bob.listAnnotations(k),
        delete: () => bob.delete(k, '1.0.0'),
        lineage: () => bob.lineage(k),
        verify: () => bob.verify(k),
        audit: () => bob.audit({ key: k }),
        gc: () => bob.gc({ dryRun: true }),
      }
      for (const [name, call] of Object.entries(denied)) {
        const error = await rejection(call())
        expect({ name, code: error.code }).toEqual({ name, code: 'ACCESS_DENIED' })
      }
      // findAssets filters instead of failing: bob simply sees nothing.
      expect((await bob.findAssets({ keyPrefix: `${s.prefix}/` })).items).toEqual([])
      expect((await bob.findAssets({ keyPrefix: `${s.prefix}/`, where: { project: 'x' } })).items).toEqual([])
      expect((await s.manager.findAssets({ keyPrefix: `${s.prefix}/` })).items.map((r) => r.key)).toEqual([k])
      // Nothing changed under the denials.
      expect((await s.manager.listVersions(k)).map((r) => r.version)).toEqual(['1.0.0'])
      expect(await s.manager.listTags(k)).toEqual({ t: '1.0.0' })
      expect(await s.manager.listAnnotations(k)).toEqual([])
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
      expect((await rejection(s.stranger({ groups: ['other'] }).get(k))).code).toBe('ACCESS_DENIED')
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
