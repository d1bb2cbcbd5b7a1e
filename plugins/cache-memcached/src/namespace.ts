import { randomUUID } from 'node:crypto'
import type { MemcachedClient } from './memcached-connection.js'
import type { MemcachedKeys } from './memcached-keys.js'

/**
 * The namespace token every item is written under (see item-format.ts). Memcached cannot list
 * or delete by prefix, so `clear` replaces the token instead, and everything written under the
 * old one reads as absent for every worker at once. The token is read with each item, in the same
 * round trip (memjs pipelines both requests on one connection), so no worker keeps using an old
 * one; if memcached evicts the token, a new one is made, which is a clear: only misses follow.
 */
export class Namespace {
  constructor(private readonly keys: MemcachedKeys) {}

  /** The token and an item, read together. */
  async read(client: MemcachedClient, itemKey: string): Promise<{ ns: string | null; item: Buffer | null }> {
    const [ns, item] = await Promise.all([client.get(this.keys.namespace()), client.get(itemKey)])
    return { ns: ns.value === null ? null : ns.value.toString('utf8'), item: item.value }
  }

  /** The token to write under, creating it when there is none (`add`: two workers creating it at once agree on one). */
  async current(client: MemcachedClient): Promise<string> {
    for (;;) {
      const { value } = await client.get(this.keys.namespace())
      if (value !== null) return value.toString('utf8')
      const token = randomUUID()
      if (await client.add(this.keys.namespace(), token)) return token
    }
  }

  /** A new token: everything written before reads as absent. */
  async renew(client: MemcachedClient): Promise<void> {
    await client.set(this.keys.namespace(), randomUUID())
  }
}
