import { randomBytes, randomUUID } from 'node:crypto'
import type { Stats } from 'node:fs'
import { link, mkdir, open, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { errnoCode, isMissing } from './file-system.js'
import { PollBackoff } from './poll-backoff.js'
import { RenewedLock } from './renewed-lock.js'

/** What a lock file holds: enough to tell whether its holder is still alive. */
export interface LockOwner {
  token: string
  pid: number
  host: string
  /** Epoch milliseconds when the lock was taken. */
  at: number
}

export interface AcquireOptions {
  /** A lock file not refreshed for this long is taken over. */
  staleLockMs: number
  signal?: AbortSignal
}

const FIRST_WAIT_MS = 25
const LONGEST_WAIT_MS = 200

/**
 * A lock held by this process: a file created with O_EXCL, refreshed by a heartbeat so that
 * waiters can tell a slow holder from a dead one.
 */
export class FileLock extends RenewedLock {
  constructor(
    readonly path: string,
    readonly owner: LockOwner,
    private readonly ino: number,
    staleLockMs: number,
    private readonly onRelease: (lock: FileLock) => void = () => {},
  ) {
    // Several beats per stale period, so one delayed beat does not let a waiter take over.
    super(Math.max(10, Math.floor(staleLockMs / 4)))
  }

  protected async letGo(): Promise<void> {
    this.onRelease(this)
    // Only our own file: if a waiter judged us stale and took over, the lock is theirs now.
    if ((await readOwner(this.path))?.token === this.owner.token) await unlink(this.path).catch(() => {})
  }

  protected async renew(): Promise<void> {
    try {
      if ((await stat(this.path)).ino !== this.ino) return
      const now = new Date()
      await utimes(this.path, now, now)
    } catch {
      // A missed beat is harmless unless many are missed; the next one tries again.
    }
  }
}

/** Waits until the lock file at `path` can be created, taking over stale ones, then holds it. */
export async function acquireFileLock(path: string, options: AcquireOptions, onRelease?: (lock: FileLock) => void): Promise<FileLock> {
  const owner: LockOwner = { token: randomUUID(), pid: process.pid, host: hostname(), at: Date.now() }
  const backoff = new PollBackoff(FIRST_WAIT_MS, LONGEST_WAIT_MS)
  for (;;) {
    options.signal?.throwIfAborted()
    const ino = await tryCreate(path, owner)
    if (ino !== null) return new FileLock(path, owner, ino, options.staleLockMs, onRelease)
    if (await removeIfStale(path, options.staleLockMs)) continue
    await backoff.pause(options.signal)
  }
}

/**
 * Removes the lock file at `path` when its holder is gone: a process on this host that no longer
 * exists, or no heartbeat for `staleLockMs`. True when the file is gone (by us or anyone else).
 */
export async function removeIfStale(path: string, staleLockMs: number): Promise<boolean> {
  let seen: Stats
  try {
    seen = await stat(path)
  } catch (error) {
    if (isMissing(error)) return true
    throw error
  }
  const owner = await readOwner(path)
  const holderDead = owner !== null && owner.host === hostname() && !isProcessAlive(owner.pid)
  const silent = Date.now() - seen.mtimeMs > staleLockMs
  if (!holderDead && !silent) return false

  // Deleting by name could delete a lock another waiter created a moment ago. Moving the file
  // aside and checking that it is the one we judged lets us put a fresh lock back.
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`
  try {
    await rename(path, aside)
  } catch (error) {
    if (isMissing(error)) return true
    throw error
  }
  const moved = await stat(aside)
  if (moved.ino === seen.ino && moved.mtimeMs === seen.mtimeMs) {
    await rm(aside, { force: true })
    return true
  }
  await link(aside, path).catch(() => {})
  await rm(aside, { force: true })
  return false
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return errnoCode(error) !== 'ESRCH'
  }
}

/** The inode of the new lock file, or null when someone else holds it. */
async function tryCreate(path: string, owner: LockOwner): Promise<number | null> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'wx')
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return null
    if (errnoCode(error) !== 'ENOENT') throw error
    await mkdir(dirname(path), { recursive: true })
    return tryCreate(path, owner)
  }
  try {
    await handle.writeFile(JSON.stringify(owner))
    return (await handle.stat()).ino
  } catch (error) {
    await unlink(path).catch(() => {})
    throw error
  } finally {
    await handle.close()
  }
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const owner: unknown = JSON.parse(await readFile(path, 'utf8'))
    if (typeof owner !== 'object' || owner === null) return null
    const { token, pid, host, at } = owner as Partial<LockOwner>
    if (typeof token !== 'string' || typeof pid !== 'number' || typeof host !== 'string' || typeof at !== 'number') return null
    return { token, pid, host, at }
  } catch {
    // Missing, or caught between creation and the write of its content: judged by mtime alone.
    return null
  }
}
