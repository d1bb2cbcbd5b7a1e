import type { LocalCache } from '@assets/cache-local'
import { InvalidInputError } from '@assets/core'
import { BYPASS, type RedisClient, type RedisConnection } from './redis-connection.js'
import type { RedisKeys } from './redis-keys.js'

/** A change made while Redis was away, to be replayed when it returns. */
type PendingChange = { op: 'set'; text: string; expiresAt: number | undefined } | { op: 'delete' }

/**
 * Small JSON values (alias → version, metadata, generation tokens) kept in Redis, so that a
 * change by one worker is what every worker reads next. While Redis is away they live in the
 * local tier, and what was changed meanwhile is replayed into Redis when it comes back, before
 * anything else reads from it: an invalidation made during an outage is not lost.
 */
export class SharedValues {
  private readonly pending = new Map<string, PendingChange>()

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly local: LocalCache,
  ) {
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
    await this.local.setValue(key, value, { ttl })
    this.pending.set(key, { op: 'set', text, expiresAt: ttlMs === undefined ? undefined : Date.now() + ttlMs })
  }

  async delete(key: string): Promise<void> {
    checkKey(key)
    const deleted = await this.connection.attempt(`deleting value ${key}`, (client) => client.del(this.keys.value(key)))
    if (deleted !== BYPASS) return
    await this.local.deleteValue(key)
    this.pending.set(key, { op: 'delete' })
  }

  /** After `clear`, nothing from before it should be replayed. */
  forgetPending(): void {
    this.pending.clear()
  }

  private async catchUp(client: RedisClient): Promise<void> {
    for (const [key, change] of [...this.pending]) {
      const redisKey = this.keys.value(key)
      const remaining = change.op === 'set' && change.expiresAt !== undefined ? change.expiresAt - Date.now() : undefined
      if (change.op === 'delete' || (remaining !== undefined && remaining <= 0)) await client.del(redisKey)
      else await client.set(redisKey, change.text, remaining === undefined ? undefined : { expiration: { type: 'PX', value: remaining } })
      // A newer change made while this ran went to Redis directly and is not ours to drop.
      if (this.pending.get(key) === change) this.pending.delete(key)
      // The local copy would be stale by the next outage; Redis holds the value now.
      await this.local.deleteValue(key).catch(() => {})
    }
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidInputError('redis cache: a key must be a non-empty string')
}

function serialise(key: string, value: unknown): string {
  const refuse = (cause?: unknown) =>
    new InvalidInputError(`redis cache: setValue(${JSON.stringify(key)}): the value must be JSON-serialisable`, { cause })
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (error) {
    throw refuse(error)
  }
  if (value === undefined || text === undefined) throw refuse()
  return text
}

/** Seconds → whole milliseconds (at least 1), refusing what the local tier would refuse. */
export function ttlToMs(key: string, ttl: number | undefined): number | undefined {
  if (ttl === undefined) return undefined
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw new InvalidInputError(`redis cache: ${JSON.stringify(key)}: ttl must be a positive number of seconds, got ${ttl}`)
  }
  return Math.max(1, Math.round(ttl * 1000))
}
