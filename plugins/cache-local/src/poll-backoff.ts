import { setTimeout as delay } from 'node:timers/promises'

/** The wait between two polls for a lock held by another: doubling from `firstMs` up to `longestMs`. */
export class PollBackoff {
  private waitMs: number

  constructor(
    firstMs: number,
    private readonly longestMs: number,
  ) {
    this.waitMs = firstMs
  }

  async pause(signal?: AbortSignal): Promise<void> {
    // Jitter keeps waiters that started together from polling in lockstep.
    await delay(Math.floor(this.waitMs * (0.75 + Math.random() / 2)), undefined, { signal })
    this.waitMs = Math.min(this.waitMs * 2, this.longestMs)
  }
}
