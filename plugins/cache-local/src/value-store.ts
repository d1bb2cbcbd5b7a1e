import { readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidInputError, writeFileAtomic } from '@assets/core'
import type { CacheLayout } from './cache-layout.js'
import { expiresAtFor, isExpired } from './expiry.js'
import { isMissing, namesIn } from './file-system.js'

interface StoredValue {
  key: string
  value: unknown
  expiresAt?: number
}

/** Small JSON values, one file each, replaced atomically so other processes read old or new. */
export class ValueStore {
  constructor(
    private readonly layout: CacheLayout,
    private readonly defaultTtl: number | undefined,
  ) {}

  async get<T>(key: string): Promise<T | null> {
    const stored = await readStored(this.layout.valuePath(key))
    // An expired value is left for prune(): deleting it here could delete a fresh one another
    // process has just written.
    if (stored === null || stored.key !== key || isExpired(stored.expiresAt)) return null
    return stored.value as T
  }

  async set(key: string, value: unknown, ttl: number | undefined): Promise<void> {
    const expiresAt = expiresAtFor(ttl ?? this.defaultTtl, `setValue(${JSON.stringify(key)})`)
    const stored: StoredValue = { key, value, expiresAt }
    const text = JSON.stringify(stored)
    if (value === undefined || text === undefined) {
      throw new InvalidInputError(`local cache: setValue(${JSON.stringify(key)}): the value must be JSON-serialisable`)
    }
    await writeFileAtomic(this.layout.valuePath(key), text)
  }

  async delete(key: string): Promise<void> {
    await rm(this.layout.valuePath(key), { force: true })
  }

  /** Removes expired values; returns how many and their bytes. */
  async pruneExpired(): Promise<{ removed: number; freedBytes: number }> {
    let removed = 0
    let freedBytes = 0
    const now = Date.now()
    for (const shard of await namesIn(this.layout.values)) {
      for (const name of await namesIn(join(this.layout.values, shard))) {
        if (!name.endsWith('.json')) continue
        const path = join(this.layout.values, shard, name)
        const stored = await readStored(path)
        if (stored === null || !isExpired(stored.expiresAt, now)) continue
        const size = (await stat(path).catch(() => null))?.size ?? 0
        await rm(path, { force: true })
        removed += 1
        freedBytes += size
      }
    }
    return { removed, freedBytes }
  }
}

async function readStored(path: string): Promise<StoredValue | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (isMissing(error)) return null
    throw error
  }
  try {
    const stored: unknown = JSON.parse(text)
    if (typeof stored !== 'object' || stored === null || typeof (stored as StoredValue).key !== 'string') return null
    return stored as StoredValue
  } catch {
    return null
  }
}
