import { randomUUID } from 'node:crypto'
import type { AssetRecord } from '../asset-record.js'
import type { Cache } from '../contracts/cache.js'
import type { Registry } from '../contracts/registry.js'

interface KeyEntry {
  /** The generation of the key when this entry was filled. */
  gen: string
  /** ref (`latest`, a tag, a version) → version. */
  refs: Record<string, string>
  records: Record<string, AssetRecord>
}

/**
 * Caches the mutable look-ups of a remote registry (ref → version, version → record) in the
 * cache's shared values, with a TTL. Every change to a key stores a new generation token for it
 * after the registry has committed; an entry filled under an older generation is ignored. So a
 * reader that raced a writer can only store an entry nobody will use, and once a put, tag move
 * or ACL change has returned, no worker is served what it replaced.
 */
export class MetadataCache {
  constructor(
    private readonly cache: Cache,
    private readonly registry: Registry,
    private readonly ttl: number,
  ) {}

  /** The record a ref points at (deleted versions included, as `registry.get` gives them). */
  async lookup(key: string, ref: string): Promise<AssetRecord | null> {
    const gen = (await this.cache.getValue<string>(genKey(key))) ?? 'initial'
    const cached = await this.cache.getValue<KeyEntry>(entryKey(key))
    const entry = cached?.gen === gen ? cached : { gen, refs: {}, records: {} }
    const version = entry.refs[ref]
    const hit = version === undefined ? undefined : entry.records[version]
    if (hit) return hit
    const resolved = await this.registry.resolve(key, ref)
    const record = resolved === null ? null : await this.registry.get(key, resolved)
    if (record) {
      entry.refs[ref] = record.version
      entry.records[record.version] = record
      await this.cache.setValue(entryKey(key), entry, { ttl: this.ttl })
    }
    return record
  }

  /** Called after every committed change to a key. */
  async invalidate(key: string): Promise<void> {
    await this.cache.setValue(genKey(key), randomUUID(), { ttl: Math.max(this.ttl * 10, 3600) })
  }
}

const genKey = (key: string) => `meta-gen:${key}`
const entryKey = (key: string) => `meta:${key}`
