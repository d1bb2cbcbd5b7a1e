import { readdir, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { writeFileAtomic } from '../atomic-file.js'

/**
 * A JSON file rewritten whole (atomically) as its value changes, one write at a time. Saves that
 * arrive while a write is under way end in one write of the newest value, and each save's
 * promise settles once a write holding its value (or a newer one) is on disk.
 */
export class SnapshotFile {
  private queue: Promise<void> = Promise.resolve()
  private latest: string | null = null

  /** `path` null: nothing is written (a transfer that cannot be resumed keeps its state in memory). */
  constructor(readonly path: string | null) {}

  save(value: unknown): Promise<void> {
    const { path } = this
    if (path === null) return Promise.resolve()
    this.latest = JSON.stringify(value)
    this.queue = this.queue.then(async () => {
      const snapshot = this.latest
      this.latest = null
      if (snapshot !== null) await writeFileAtomic(path, snapshot)
    })
    return this.queue
  }

  async flush(): Promise<void> {
    await this.queue
  }

  /**
   * Deletes the file, and the temporary copies that a process killed while writing it left
   * beside it (looked for only when there was a file: most transfers never had a journal).
   */
  async remove(): Promise<void> {
    await this.queue.catch(() => {})
    const { path } = this
    if (path === null) return
    const existed = await rm(path).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false
        throw error
      },
    )
    if (!existed) return
    const leftover = `${basename(path)}.tmp-`
    const names = await readdir(dirname(path)).catch(() => [])
    await Promise.all(names.filter((name) => name.startsWith(leftover)).map((name) => rm(join(dirname(path), name), { force: true })))
  }
}
