import { randomBytes } from 'node:crypto'
import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BaseAssetManager, blobLocation, sha256 } from '@assets/core'
import { expect } from 'vitest'
import { type ManagerSuiteContext, type Rejection, rejection, type Session, withSession } from './manager-fixtures.js'
import { pausedStorage } from './paused-storage.js'

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

/**
 * gc against a put that reuses content gc finds unreferenced, in both orders, on the suite's own
 * backends: whatever the interleaving, the registered version keeps its bytes.
 */
export function gcRaceTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx
  const later = () => new Date(Date.now() + 2 * 3600_000)

  async function orphanOf(s: Session, bytes: Uint8Array): Promise<string> {
    const location = blobLocation(sha256(bytes))
    await s.manager.storage.upload(location, bytesOf(bytes))
    return location
  }

  it(`${prefix}gc cannot remove content a running put has found and will reuse`, () =>
    withSession(ctx, async (s) => {
      // Larger than what the storage writes without asking (writeWithoutAskingBelow): the put asks about this one.
      const shared = randomBytes(Math.max(3000, (s.manager.storage.capabilities.writeWithoutAskingBelow ?? 0) + 1))
      const orphan = await orphanOf(s, shared)
      const folder = await s.folder({ 'shared.bin': shared, 'own.bin': randomBytes(500) })
      // The put has seen the orphan present (so it will not store it again) and stops there.
      const paused = pausedStorage(s.manager.storage, 'stat', orphan, { after: true })
      const putter = new BaseAssetManager({ ...s.manager.stack(), storage: paused.storage }, s.manager.actor)
      const put = putter.put(s.key('race'), folder)
      await paused.reached
      // Every object is past its grace period: only the put's holds protect its content.
      const gc = await s.admin.gc({ now: later() })
      expect(gc.removedObjects).not.toContain(orphan)
      paused.resume()
      await put
      expect(await s.manager.verify(s.key('race'))).toMatchObject({ checked: 1, ok: 1, problems: [] })
    }))

  it(`${prefix}a put of content gc is removing waits for it, then stores the content again`, () =>
    withSession(ctx, async (s) => {
      const shared = randomBytes(3000)
      const orphan = await orphanOf(s, shared)
      const folder = await s.folder({ 'shared.bin': shared })
      // gc has decided to remove the orphan and stops just before deleting it.
      const paused = pausedStorage(s.manager.storage, 'delete', orphan)
      const collector = new BaseAssetManager({ ...s.manager.stack(), storage: paused.storage }, s.admin.actor)
      const gc = collector.gc({ now: later() })
      await paused.reached
      let putDone = false
      const put = s.manager.put(s.key('race'), folder).finally(() => {
        putDone = true
      })
      // Without leases the put would reuse the orphan and finish here; with them it waits.
      await Promise.race([put, new Promise((resolve) => setTimeout(resolve, 400))])
      expect(putDone).toBe(false)
      paused.resume()
      expect((await gc).removedObjects).toContain(orphan)
      await put
      expect(await s.manager.verify(s.key('race'))).toMatchObject({ checked: 1, ok: 1, problems: [] })
    }))
}

export function changingSourceTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}a folder file that grows during the put never registers a size its manifest disagrees with`, () =>
    withSession(ctx, async (s) => {
      const folder = await s.folder({ 'grow.log': 'x'.repeat(10) })
      // Listed at 10 bytes; it grows before its bytes are read.
      const paused = pausedStorage(s.manager.storage, 'upload', () => true)
      const putter = new BaseAssetManager({ ...s.manager.stack(), storage: paused.storage }, s.manager.actor)
      const put = putter.put(s.key('grow'), folder).then(
        (record) => ({ record }),
        (error: Rejection) => ({ error }),
      )
      await paused.reached
      await appendFile(join(folder, 'grow.log'), 'y'.repeat(10))
      paused.resume()
      const outcome = await put
      if ('error' in outcome) {
        // A backend that hashes before it uploads sees other bytes: the put fails, nothing registered.
        expect(outcome.error.code).toBe('INTEGRITY_ERROR')
        expect(await s.manager.registry.listVersions(s.key('grow'))).toEqual([])
      } else {
        // The bytes read, before it grew (a backend that reads a folder's small files ahead of
        // the upload call) or after: either way the manifest agrees with the size (verify adds up
        // the manifest and re-hashes every file).
        expect([10, 20]).toContain(outcome.record.size)
        expect(await s.manager.verify(s.key('grow'))).toMatchObject({ checked: 1, ok: 1, problems: [] })
      }
    }))
}

export function heldTemporaryTests(ctx: ManagerSuiteContext): void {
  const { it, prefix } = ctx

  it(`${prefix}gc leaves an upload's temporary object alone while a put holds what it is written for`, () =>
    withSession(ctx, async (s) => {
      const bytes = randomBytes(1000)
      const target = blobLocation(sha256(bytes))
      // The name a backend writes an upload under before renaming it into place (temporaryPathFor).
      const temporary = `${target}.tmp-4242-0123456789ab`
      await s.manager.storage.upload(temporary, bytesOf(bytes))
      const put = `put:${randomBytes(6).toString('hex')}`
      await s.manager.registry.holdContent(put, [target], 60_000)
      const later = new Date(Date.now() + 2 * 3600_000)
      expect((await s.admin.gc({ now: later })).removedObjects).not.toContain(temporary)
      expect(await s.manager.storage.stat(temporary)).not.toBeNull()
      await s.manager.registry.releaseContent(put)
      expect((await s.admin.gc({ now: later })).removedObjects).toContain(temporary)
    }))
}
