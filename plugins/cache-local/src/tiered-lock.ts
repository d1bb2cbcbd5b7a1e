import type { CacheLock } from '@assets/core'

/** Both locks of a key; released shared first, so other machines proceed as early as possible. */
export class TieredLock implements CacheLock {
  private released = false

  constructor(
    private readonly local: CacheLock,
    private readonly shared: CacheLock | null,
    private readonly onRelease: (lock: TieredLock) => void = () => {},
  ) {}

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    this.onRelease(this)
    try {
      await this.shared?.release()
    } finally {
      await this.local.release()
    }
  }
}
