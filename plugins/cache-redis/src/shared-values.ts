import { checkSharedKey, type LocalCache, PendingValueChanges, serialiseSharedValue, ttlSecondsToMs } from '@assets/cache-local'
import { BYPASS, type RedisClient, type RedisConnection } from './redis-connection.js'
import type { RedisKeys } from './redis-keys.js'

/**
 * Small JSON values (alias → version, metadata, generation tokens) kept in Redis, so that a
 * change by one worker is what every worker reads next. While Redis is away they live in the
 * local tier, and what was changed meanwhile is replayed into Redis when it comes back, before
 * anything else reads from it: an invalidation made during an outage is not lost.
 */
export class SharedValues {
  private readonly pending: PendingValueChanges

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly local: LocalCache,
  ) {
    this.pending = new PendingValueChanges(local)
    connection.onRecovery((client) => this.catchUp(client))
  }

  async get<T>(key: string): Promise<T | null> {
    checkKey(key)
    const text = await this.connection.attempt(`reading value ${key}`, (client) => client.get(this.keys.value(key)))
    if (text === BYPASS) return this.local.getValue<T>(key)
    if (text === null) return null
    try {
      return JSON.parse(text) as T
    } catch {
      // Not written by us (we only store JSON): as good as absent.
      return null
    }
  }

  async set(key: string, value: unknown, ttl: number | undefined): Promise<void> {
    checkKey(key)
    const text = serialise(key, value)
    const ttlMs = ttlToMs(key, ttl)
    const written = await this.connection.attempt(`writing value ${key}`, (client) =>
      client.set(this.keys.value(key), text, ttlMs === undefined ? undefined : { expiration: { type: 'PX', value: ttlMs } }),
    )
    if (written !== BYPASS) return
    await this.pending.set(key, text, ttlMs, () => this.local.setValue(key, value, { ttl }))
  }

  async delete(key: string): Promise<void> {
    checkKey(key)
    const deleted = await this.connection.attempt(`deleting value ${key}`, (client) => client.del(this.keys.value(key)))
    if (deleted !== BYPASS) return
    await this.pending.delete(key)
  }

  /** After `clear`, nothing from before it should be replayed. */
  forgetPending(): void {
    this.pending.forget()
  }

  private catchUp(client: RedisClient): Promise<void> {
    return this.pending.replay({
      write: (key, text, ttlMs) => client.set(this.keys.value(key), text, ttlMs === undefined ? undefined : { expiration: { type: 'PX', value: ttlMs } }),
      remove: (key) => client.del(this.keys.value(key)),
    })
  }
}

const checkKey = (key: string) => checkSharedKey('redis cache', key)
const serialise = (key: string, value: unknown) => serialiseSharedValue('redis cache', key, value)

/** Seconds → whole milliseconds (at least 1), refusing what the local tier would refuse. */
export const ttlToMs = (key: string, ttl: number | undefined) => ttlSecondsToMs('redis cache', key, ttl)
