import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Registry } from '../contracts/registry.js'
import { BackendUnavailableError } from '../errors/index.js'

/** A put holds its content this long between renewals; a killed put's holds lapse after it. */
export const HOLD_TTL_MS = 15 * 60_000
/** gc's claims are short: a put that wants claimed content waits for them. */
export const CLAIM_TTL_MS = 2 * 60_000
/** A put waits this long for a claim to end: past a killed gc's claim TTL, so it never fails on one. */
const CLAIM_WAIT_MS = CLAIM_TTL_MS + 30_000

/**
 * One put's or one gc run's leases on stored content (see `Registry.holdContent`), renewed in
 * the background while the work lasts. The protocol, which makes "gc never removes content a
 * registered version or a running put needs" true by construction rather than by timing:
 *
 * - a put holds a location before it stats, reuses or writes it, and releases its holds only
 *   after the version is registered;
 * - gc lists old objects, claims those, and only then reads what the registry references; it
 *   deletes what it claimed and found unreferenced, then releases.
 *
 * A version gc did not see was registered after the claim, by a put that held its content
 * before registering: if the hold came first, the claim skipped that location; if the claim
 * came first, the hold was refused until gc released it, and the put then stats again and
 * writes what gc deleted.
 */
export class ContentLease {
  readonly holder: string
  private timer: NodeJS.Timeout | undefined
  private renewal: Promise<void> = Promise.resolve()
  private queued: Array<{ locations: string[]; done: (refused: string[]) => void; fail: (error: unknown) => void }> = []
  private flushing: Promise<void> | undefined

  constructor(
    private readonly registry: Registry,
    role: 'put' | 'gc',
    private readonly ttlMs: number = role === 'put' ? HOLD_TTL_MS : CLAIM_TTL_MS,
  ) {
    this.holder = `${role}:${randomUUID()}`
  }

  /** Holds `locations` for a put, waiting while gc has claimed any of them. */
  async hold(locations: string[], signal?: AbortSignal): Promise<void> {
    this.keepAlive()
    let pending = [...new Set(locations)]
    const started = Date.now()
    for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
      const refused = await this.holdOnce(pending)
      if (refused.length === 0) return
      if (Date.now() - started > CLAIM_WAIT_MS) {
        throw new BackendUnavailableError(
          'gc',
          `a garbage collection has been removing ${refused[0]} for over ${Math.round(CLAIM_WAIT_MS / 1000)} s; try the put again`,
        )
      }
      pending = refused
      await sleep(pause, undefined, { signal })
    }
  }

  /**
   * One registry call for every hold asked for while the previous call was in flight: a
   * folder's files are stored several at a time, and each would otherwise cost a transaction.
   */
  private holdOnce(locations: string[]): Promise<string[]> {
    return new Promise((done, fail) => {
      this.queued.push({ locations, done, fail })
      this.flushing ??= this.flush()
    })
  }

  private async flush(): Promise<void> {
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0)
      try {
        const { refused } = await this.registry.holdContent(this.holder, [...new Set(batch.flatMap((b) => b.locations))], this.ttlMs)
        const blocked = new Set(refused)
        for (const b of batch) b.done(b.locations.filter((l) => blocked.has(l)))
      } catch (error) {
        for (const b of batch) b.fail(error)
      }
    }
    this.flushing = undefined
  }

  /** Claims for gc what no put holds; returns what was claimed. */
  async claim(locations: string[]): Promise<string[]> {
    this.keepAlive()
    return (await this.registry.claimContent(this.holder, locations, this.ttlMs)).claimed
  }

  async release(locations?: string[]): Promise<void> {
    if (locations === undefined) this.stop()
    await this.renewal
    await this.registry.releaseContent(this.holder, locations)
  }

  /** Ends the background renewal without releasing (the leases lapse at their TTL). */
  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private keepAlive(): void {
    if (this.timer) return
    this.timer = setInterval(() => {
      // A failed renewal is retried at the next tick; the TTL leaves room for two misses.
      this.renewal = this.registry.renewContent(this.holder, this.ttlMs).catch(() => {})
    }, this.ttlMs / 3)
    this.timer.unref()
  }
}
