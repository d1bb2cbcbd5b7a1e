import { randomBytes } from 'node:crypto'
import { blobLocation, sha256 } from '@assets/core'
import { expect } from 'vitest'
import { type ManagerSuiteContext, rejection, withSession } from './manager-fixtures.js'

async function* bytesOf(b: Uint8Array): AsyncIterable<Uint8Array> {
  yield b
}

export function maintenanceTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}bad input is refused with a typed error and nothing is written`, () =>
    withSession(ctx, async (s) => {
      const src = await s.file(randomBytes(1000))
      const badKeys = ['../etc/passwd', '/abs/key', 'a\\b', 'a\u0000b', 'a//b', 'a/./b', '', 'x'.repeat(600), 'sp ace', 'trailing/']
      for (const key of badKeys) {
        expect({ key, code: (await rejection(s.manager.put(key, src))).code }).toEqual({ key, code: 'INVALID_KEY' })
      }
      expect((await rejection(s.manager.put(s.key(), src, {}, { version: '1.2' }))).code).toBe('INVALID_VERSION')
      expect((await rejection(s.manager.put(s.key(), `${src}.missing`))).code).toBe('INVALID_INPUT')
      expect((await rejection(s.manager.put(s.key(), src, {}, { kind: 'movie' as never }))).code).toBe('INVALID_INPUT')
      expect((await rejection(s.manager.put(s.key(), src, {}, { tags: ['bad tag'] }))).code).toBe('INVALID_INPUT')
      expect((await rejection(s.manager.get('../x'))).code).toBe('INVALID_KEY')
      expect((await rejection(s.manager.get(s.key(), 'not a version'))).code).toBe('ASSET_NOT_FOUND')
      expect(await s.manager.registry.listVersions(s.key(), { includeDeleted: true })).toEqual([])
      expect(await s.manager.storage.stat(blobLocation(sha256(await (await import('node:fs/promises')).readFile(src))))).toBeNull()
    }))

  it(`${prefix}verify reports stored content that no longer matches its digest`, () =>
    withSession(ctx, async (s) => {
      const good = await s.manager.put(s.key('good'), await s.file(randomBytes(2000)))
      const bad = await s.manager.put(s.key('bad'), await s.file(randomBytes(2000)))
      const folder = await s.manager.put(s.key('dir'), await s.folder({ a: 'alpha', 'b/c': randomBytes(300) }))
      expect(await s.manager.verify(s.key('good'))).toEqual({ checked: 1, ok: 1, problems: [] })
      expect((await s.manager.verify(s.key('dir'))).ok).toBe(1)
      await s.manager.storage.upload(bad.location, bytesOf(randomBytes(2000)))
      const report = await s.manager.verify(s.key('bad'))
      expect(report.ok).toBe(0)
      expect(report.problems[0]).toMatchObject({ key: s.key('bad'), version: '1.0.0', location: bad.location })
      expect(report.problems[0]?.message).toContain('digest')
      const shallow = await s.manager.verify(s.key('bad'), { deep: false })
      expect(shallow.ok).toBe(1)
      const all = await s.admin.verify()
      expect(all.problems.some((p) => p.key === s.key('bad'))).toBe(true)
      expect(all.problems.some((p) => p.key === s.key('good') || p.key === s.key('dir'))).toBe(false)
      expect(good.digest).not.toBe(folder.digest)
    }))

  it(`${prefix}gc removes unreferenced and abandoned objects, keeps referenced ones, and dry-runs`, () =>
    withSession(ctx, async (s) => {
      const kept = await s.manager.put(s.key('kept'), await s.file(randomBytes(1000)))
      const dir = await s.manager.put(s.key('dir'), await s.folder({ 'x.bin': randomBytes(700) }))
      const orphanBytes = randomBytes(1234)
      const orphan = blobLocation(sha256(orphanBytes))
      await s.manager.storage.upload(orphan, bytesOf(orphanBytes))
      const staging = `staging/abandoned-${randomBytes(4).toString('hex')}`
      await s.manager.storage.upload(staging, bytesOf(randomBytes(10)))
      // Fresh objects are inside the grace period: a put may not have registered them yet.
      const fresh = await s.admin.gc()
      expect(fresh.removedObjects).not.toContain(orphan)
      const later = new Date(Date.now() + 2 * 3600_000)
      const dry = await s.admin.gc({ dryRun: true, now: later })
      expect(dry.removedObjects).toEqual(expect.arrayContaining([orphan, staging]))
      expect(await s.manager.storage.stat(orphan)).not.toBeNull()
      const real = await s.admin.gc({ now: later })
      expect(real.removedObjects).toEqual(expect.arrayContaining([orphan, staging]))
      expect(real.removedObjects).not.toContain(kept.location)
      expect(real.removedObjects).not.toContain(dir.location)
      expect(await s.manager.storage.stat(orphan)).toBeNull()
      expect(await s.manager.verify(s.key('dir'))).toMatchObject({ ok: 1 })
      expect((await s.admin.audit()).some((e) => e.action === 'gc')).toBe(true)
    }))

  it(`${prefix}gc removes temporary versions whose expiry has passed and nothing else`, () =>
    withSession(ctx, async (s) => {
      const soon = new Date(Date.now() + 60_000)
      await s.manager.put(s.key('tmp'), await s.file(randomBytes(100)), {}, { kind: 'output', expiresAt: soon })
      await s.manager.put(s.key('keep'), await s.file(randomBytes(100)), {}, { kind: 'output' })
      const now = await s.admin.gc()
      expect(now.purgedVersions.filter((v) => v.key.startsWith(s.prefix))).toEqual([])
      const later = await s.admin.gc({ now: new Date(Date.now() + 3 * 3600_000) })
      expect(later.purgedVersions.filter((v) => v.key.startsWith(s.prefix))).toEqual([{ key: s.key('tmp'), version: '1.0.0' }])
      expect((await rejection(s.manager.get(s.key('tmp')))).code).toBe('ASSET_NOT_FOUND')
      expect((await s.manager.getMetadata(s.key('keep'))).version).toBe('1.0.0')
    }))
}
