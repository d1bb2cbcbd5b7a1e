import { checkSharedKey, type LocalCache, PendingValueChanges, serialiseSharedValue } from '@assets/cache-local'
import { decodeItem, encodeItem, expiresAt, memcachedExpiry, ttlToMs } from './item-format.js'
import { BYPASS, type MemcachedClient, type MemcachedConnection } from './memcached-connection.js'
import type { MemcachedKeys } from './memcached-keys.js'
import type { Namespace } from './namespace.js'

/**
 * Small JSON values (the manager's per-key generations and metadata, alias → version) kept in
 * memcached, so that a change by one worker is what every worker reads next. While memcached is
 * away they live in the local tier, and what was changed meanwhile is replayed into memcached
 * when it comes back, before anything else reads from it: an invalidation made during an outage
 * is not lost.
 */
export class SharedValues {
  private readonly pending: PendingValueChanges

  constructor(
    private readonly connection: MemcachedConnection,
    private readonly keys: MemcachedKeys,
    private readonly namespace: Namespace,
    private readonly local: LocalCache,
  ) {
    this.pending = new PendingValueChanges(local)
    connection.onRecovery((client) => this.catchUp(client))
  }

  async get<T>(key: string): Promise<T | null> {
    checkKey(key)
    const read = await this.connection.attempt(`reading value ${key}`, (client) => this.namespace.read(client, this.keys.value(key)))
    if (read === BYPASS) return this.local.getValue<T>(key)
    const decoded = decodeItem(read.item, read.ns, key)
    if (decoded === null) return null
    try {
      return JSON.parse(decoded.payload.toString('utf8')) as T
    } catch {
      // Not written by us (we only store JSON): as good as absent.
      return null
    }
  }

  async set(key: string, value: unknown, ttl: number | undefined): Promise<void> {
    checkKey(key)
    const text = serialise(key, value)
    const ttlMs = ttlToMs(key, ttl)
    const written = await this.connection.attempt(`writing value ${key}`, (client) => this.write(client, key, text, ttlMs))
    if (written !== BYPASS) return
    if (this.connection.available) {
      // Memcached refused this value (larger than its item size): the copy it holds is now
      // outdated, and must not be what the other workers read.
      await this.connection.attempt(`deleting value ${key}`, (client) => client.delete(this.keys.value(key)))
      return
    }
    await this.pending.set(key, text, ttlMs, () => this.local.setValue(key, value, { ttl }))
  }

  async delete(key: string): Promise<void> {
    checkKey(key)
    const deleted = await this.connection.attempt(`deleting value ${key}`, (client) => client.delete(this.keys.value(key)))
    if (deleted !== BYPASS) return
    await this.pending.delete(key)
  }

  /** After `clear`, nothing from before it should be replayed. */
  forgetPending(): void {
    this.pending.forget()
  }

  private async write(client: MemcachedClient, key: string, text: string, ttlMs: number | undefined): Promise<void> {
    const ns = await this.namespace.current(client)
    const exp = expiresAt(ttlMs)
    await client.set(this.keys.value(key), encodeItem({ ns, key, ...(exp === undefined ? {} : { exp }) }, text), { expires: memcachedExpiry(ttlMs) })
  }

  private catchUp(client: MemcachedClient): Promise<void> {
    return this.pending.replay({
      write: (key, text, ttlMs) => this.write(client, key, text, ttlMs),
      remove: (key) => client.delete(this.keys.value(key)),
    })
  }
}

const checkKey = (key: string) => checkSharedKey('memcached cache', key)
const serialise = (key: string, value: unknown) => serialiseSharedValue('memcached cache', key, value)
