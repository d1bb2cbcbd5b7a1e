import { createHash } from 'node:crypto'
import type { BucketObjects } from './bucket-objects.js'

interface StoredValue {
  key: string
  value: unknown
  /** Epoch milliseconds; absent: no expiry. */
  expiresAt?: number
}

/**
 * Small JSON values shared by every worker, one object each. S3 reads after writes are
 * consistent, so a generation bumped by one worker is what the next look-up of any other sees.
 * Expiry compares the writer's clock with the reader's: TTLs of seconds to hours tolerate the
 * skew of machines kept in time.
 */
export class SharedValues {
  constructor(private readonly objects: BucketObjects) {}

  async get<T>(key: string): Promise<T | null> {
    const found = await this.objects.read(nameOf(key))
    if (found === null) return null
    let stored: StoredValue
    try {
      stored = JSON.parse(found.text) as StoredValue
    } catch {
      return null
    }
    if (stored.key !== key) return null
    if (stored.expiresAt !== undefined && stored.expiresAt <= Date.now()) return null
    return stored.value as T
  }

  async set(key: string, value: unknown, ttlSeconds: number | undefined): Promise<void> {
    const stored: StoredValue = { key, value, ...(ttlSeconds === undefined ? {} : { expiresAt: Date.now() + ttlSeconds * 1000 }) }
    await this.objects.write(nameOf(key), JSON.stringify(stored))
  }

  async delete(key: string): Promise<void> {
    await this.objects.delete([nameOf(key)])
  }

  /** Expired values, for prune. */
  async expired(): Promise<string[]> {
    const doomed: string[] = []
    for await (const object of this.objects.list(VALUES)) {
      const found = await this.objects.read(object.name)
      if (found === null) continue
      try {
        const { expiresAt } = JSON.parse(found.text) as StoredValue
        if (expiresAt !== undefined && expiresAt <= Date.now()) doomed.push(object.name)
      } catch {
        doomed.push(object.name)
      }
    }
    return doomed
  }
}

export const VALUES = 'values/'

function nameOf(key: string): string {
  return `${VALUES}${createHash('sha256').update(key).digest('hex')}.json`
}
