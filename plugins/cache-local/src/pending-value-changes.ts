import type { LocalCache } from './local-cache.js'

/** A change made while the shared tier was away, to be replayed when it returns. */
type PendingChange = ({ op: 'set'; text: string; expiresAt: number | undefined } | { op: 'delete' }) & { replayed?: boolean }

/** How a shared tier writes and deletes one value while it replays. */
export interface ValueReplay {
  /** Writes `text` under `key`, to expire in `ttlMs` (undefined: never). */
  write(key: string, text: string, ttlMs: number | undefined): Promise<unknown>
  remove(key: string): Promise<unknown>
}

/**
 * The values changed while a shared tier was away (they went to the local tier meanwhile), to
 * be replayed into it when it comes back, before anything else reads from it: an invalidation
 * made during an outage is not lost.
 */
export class PendingValueChanges {
  private readonly pending = new Map<string, PendingChange>()

  constructor(private readonly local: LocalCache) {}

  /**
   * Records a value set while the shared tier is away, and keeps it in the local tier meanwhile
   * (`keepLocally`). The change is recorded before the local write: a recovery that begins while
   * that write runs must replay this change, not the older one it replaced (which would put an
   * outdated generation back in the shared tier). If the replay has already run when the local
   * write lands, the local copy is dropped again, as the replay drops those it finds.
   */
  async set(key: string, text: string, ttlMs: number | undefined, keepLocally: () => Promise<void>): Promise<void> {
    const change: PendingChange = { op: 'set', text, expiresAt: ttlMs === undefined ? undefined : Date.now() + ttlMs }
    this.pending.set(key, change)
    await keepLocally()
    // Not when a newer change of the key came meanwhile: the local copy is then that one's.
    if (change.replayed && !this.pending.has(key)) await this.local.deleteValue(key).catch(() => {})
  }

  /** Records a value deleted while the shared tier is away, then deletes it from the local tier (recorded first, as in `set`). */
  async delete(key: string): Promise<void> {
    this.pending.set(key, { op: 'delete' })
    await this.local.deleteValue(key)
  }

  /** After `clear`, nothing from before it should be replayed. */
  forget(): void {
    this.pending.clear()
  }

  /** Replays every change into the shared tier; a value that expired meanwhile is deleted there. */
  async replay(into: ValueReplay): Promise<void> {
    for (const [key, change] of [...this.pending]) {
      const remaining = change.op === 'set' && change.expiresAt !== undefined ? change.expiresAt - Date.now() : undefined
      if (change.op === 'delete' || (remaining !== undefined && remaining <= 0)) await into.remove(key)
      else await into.write(key, change.text, remaining)
      change.replayed = true
      // A newer change made while this ran went to the shared tier directly and is not ours to drop.
      if (this.pending.get(key) === change) this.pending.delete(key)
      // The local copy would be stale by the next outage; the shared tier holds the value now.
      await this.local.deleteValue(key).catch(() => {})
    }
  }
}
