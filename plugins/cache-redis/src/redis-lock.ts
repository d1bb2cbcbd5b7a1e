import { randomUUID } from 'node:crypto'
import { PollBackoff, RenewedLock } from '@assets/cache-local'
import { BYPASS, type RedisConnection } from './redis-connection.js'

// Deletes or extends the lock only while it still holds our token: after an expiry another
// worker may hold it, and releasing theirs would let a third one in beside them.
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`
const EXTEND_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`

const FIRST_WAIT_MS = 25
const LONGEST_WAIT_MS = 200

export interface RedisLockOptions {
  /** Expiry of the lock when its holder stops renewing it (a crashed worker). */
  ttlMs: number
  signal?: AbortSignal
  /** Asked between polls: true when waiting has become pointless (then no lock is taken). */
  giveUp?: () => Promise<boolean>
}

/** A lock held in Redis; renewed while held, so it only expires when its holder is gone. */
export class RedisLock extends RenewedLock {
  constructor(
    private readonly connection: RedisConnection,
    private readonly redisKey: string,
    private readonly token: string,
    private readonly ttlMs: number,
  ) {
    // Three renewals per expiry period, so that one slow round trip does not lose the lock.
    super(Math.max(10, Math.floor(ttlMs / 3)))
  }

  protected async letGo(): Promise<void> {
    // Unreachable Redis: the lock expires by itself after ttlMs.
    await this.connection.attempt('releasing a lock', (client) => client.eval(RELEASE_SCRIPT, { keys: [this.redisKey], arguments: [this.token] }))
  }

  protected async renew(): Promise<void> {
    await this.connection.attempt('renewing a lock', (client) =>
      client.eval(EXTEND_SCRIPT, { keys: [this.redisKey], arguments: [this.token, String(this.ttlMs)] }),
    )
  }
}

/**
 * Takes the lock at `redisKey` (SET NX PX), polling with a growing, jittered wait while another
 * worker holds it. Null when Redis is unavailable (or becomes so while waiting) or `giveUp`
 * says so: the caller then relies on its local lock alone.
 */
export async function acquireRedisLock(connection: RedisConnection, redisKey: string, options: RedisLockOptions): Promise<RedisLock | null> {
  const token = randomUUID()
  const backoff = new PollBackoff(FIRST_WAIT_MS, LONGEST_WAIT_MS)
  for (;;) {
    options.signal?.throwIfAborted()
    const taken = await connection.attempt('taking a lock', (client) =>
      client.set(redisKey, token, { condition: 'NX', expiration: { type: 'PX', value: options.ttlMs } }),
    )
    if (taken === BYPASS) return null
    if (taken === 'OK') return new RedisLock(connection, redisKey, token, options.ttlMs)
    if (options.giveUp !== undefined && (await options.giveUp())) return null
    await backoff.pause(options.signal)
  }
}
