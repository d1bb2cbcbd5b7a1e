import { createHash, randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { type ManagerSuiteContext, rejection, withSession } from './manager-fixtures.js'

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as const

/** What a put checks between storing the content and registering it: nothing half-committed. */
export function commitTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}put with an expected digest registers those bytes and refuses others; a throwing beforeRegister registers nothing`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(5000)
      const file = await s.file(bytes)
      const wrong = await rejection(s.manager.put(s.key('pinned'), file, {}, { digest: sha(randomBytes(10)) }))
      expect(wrong.code).toBe('INTEGRITY_ERROR')
      const refused = await rejection(s.manager.put(s.key('pinned'), file, {}, { beforeRegister: async () => { throw new Error('changed meanwhile') } }))
      expect(refused.message).toBe('changed meanwhile')
      expect(await s.manager.registry.listVersions(s.key('pinned'), { includeDeleted: true })).toEqual([])
      const seen: unknown[] = []
      const put = await s.manager.put(s.key('pinned'), file, {}, { digest: sha(bytes), beforeRegister: async (content) => void seen.push(content) })
      expect(put).toMatchObject({ digest: sha(bytes), created: true })
      expect(seen).toEqual([{ digest: sha(bytes), size: bytes.length, fileCount: 1 }])
    }))

  it(`${prefix}audit entries given to a put are written with the version, and only when it is created`, () =>
    withSession(ctx, async (s) => {
      const file = await s.file(randomBytes(100))
      const audit = [{ action: 'reviewed', details: { by: 'ci' } }]
      const put = await s.manager.put(s.key('audited'), file, {}, { version: '1.0.0', audit })
      expect((await s.manager.put(s.key('audited'), file, {}, { version: '1.0.0', audit })).created).toBe(false)
      const other = await s.file(randomBytes(100))
      expect((await rejection(s.manager.put(s.key('audited'), other, {}, { version: '1.0.0', audit }))).code).toBe('VERSION_CONFLICT')
      const entries = await s.manager.registry.audit({ key: s.key('audited'), action: 'reviewed' })
      expect(entries.map((e) => [e.actor, e.version, e.details])).toEqual([[put.createdBy, '1.0.0', { by: 'ci' }]])
    }))
}
