import type { CacheLock } from '@assets/core'

/**
 * A lock kept alive by a heartbeat while held, so that waiters can tell a slow holder from a
 * dead one: the local tier's lock files and each shared tier's locks. Release is idempotent and
 * stops the heartbeat before the subclass lets the lock go.
 */
export abstract class RenewedLock implements CacheLock {
  private heartbeat: NodeJS.Timeout | undefined
  private released = false

  constructor(renewEveryMs: number) {
    this.heartbeat = setInterval(() => void this.renew(), renewEveryMs)
    this.heartbeat.unref()
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    this.stopRenewing()
    await this.letGo()
  }

  protected get isReleased(): boolean {
    return this.released
  }

  protected stopRenewing(): void {
    clearInterval(this.heartbeat)
    this.heartbeat = undefined
  }

  /** One heartbeat; must not throw (a missed beat is retried by the next one). */
  protected abstract renew(): Promise<void> | void

  /** Gives the lock up, once, after the heartbeat has stopped. */
  protected abstract letGo(): Promise<void>
}
