import { randomUUID } from 'node:crypto'
import { PollBackoff, RenewedLock } from '@assets/cache-local'
import { BYPASS, type MemcachedClient, type MemcachedConnection } from './memcached-connection.js'

const FIRST_WAIT_MS = 25
const LONGEST_WAIT_MS = 200

export interface MemcachedLockOptions {
  /** Expiry of the lock when its holder stops renewing it (a crashed worker); whole seconds in memcached. */
  ttlMs: number
  signal?: AbortSignal
  /** Asked between polls: true when waiting has become pointless (then no lock is taken). */
  giveUp?: () => Promise<boolean>
}

/**
 * A lock held in memcached; renewed while held, so it only expires when its holder is gone.
 * Memcached has no compare-and-delete: renewing and releasing read the token first and act only
 * while it is still ours. Between that read and the delete the lock could only change hands if
 * it expired, which the renewals (three per expiry period) prevent while the holder lives.
 */
export class MemcachedLock extends RenewedLock {
  constructor(
    private readonly connection: MemcachedConnection,
    private readonly lockKey: string,
    private readonly token: string,
    private readonly expirySeconds: number,
    ttlMs: number,
  ) {
    super(Math.floor(ttlMs / 3))
  }

  protected async letGo(): Promise<void> {
    // Unreachable memcached: the lock expires by itself.
    await this.connection.attempt('releasing a lock', async (client) => {
      if (await this.isOurs(client)) await client.delete(this.lockKey)
    })
  }

  protected async renew(): Promise<void> {
    await this.connection.attempt('renewing a lock', async (client) => {
      if (await this.isOurs(client)) await client.touch(this.lockKey, this.expirySeconds)
    })
  }

  private async isOurs(client: MemcachedClient): Promise<boolean> {
    return (await client.get(this.lockKey)).value?.toString('utf8') === this.token
  }
}

/**
 * Takes the lock at `lockKey` (`add`, which succeeds for one worker only, with an expiry),
 * polling with a growing, jittered wait while another worker holds it. Null when memcached is
 * unavailable (or becomes so while waiting) or `giveUp` says so: the caller then relies on its
 * local lock alone.
 */
export async function acquireMemcachedLock(connection: MemcachedConnection, lockKey: string, options: MemcachedLockOptions): Promise<MemcachedLock | null> {
  const token = randomUUID()
  const expirySeconds = Math.ceil(options.ttlMs / 1000)
  const backoff = new PollBackoff(FIRST_WAIT_MS, LONGEST_WAIT_MS)
  for (;;) {
    options.signal?.throwIfAborted()
    const taken = await connection.attempt('taking a lock', (client) => client.add(lockKey, token, { expires: expirySeconds }))
    if (taken === BYPASS) return null
    if (taken) return new MemcachedLock(connection, lockKey, token, expirySeconds, options.ttlMs)
    if (options.giveUp !== undefined && (await options.giveUp())) return null
    await backoff.pause(options.signal)
  }
}
