import { createHash, randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { PollBackoff, RenewedLock } from '@assets/cache-local'
import type { Logger } from '@assets/core'
import type { BucketObjects } from './bucket-objects.js'

/**
 * A lock across machines made of immutable generations: `locks/<hash of key>/g<n>`. Taking the
 * lock is creating the next generation with `If-None-Match: *`, which S3 grants to exactly one
 * caller. Only the holder of generation n ever writes g<n> again (its heartbeat, then
 * "released"), so no write needs a compare-and-swap on an existing object — which the Ceph
 * gateway we test on does not honour (it ignores If-Match on DELETE and refuses it on PUT).
 *
 * A holder that dies stops beating. A waiter takes over when the record it watches has not
 * changed for `ttlMs` on the waiter's own monotonic clock: no two machines' clocks are compared.
 */
interface LockRecord {
  token: string
  beat: number
  released: boolean
}

const FIRST_WAIT_MS = 50
const LONGEST_WAIT_MS = 1000
const MAX_FAILURES = 5

export interface S3LockOptions {
  /** A record unchanged this long belongs to a dead holder. */
  ttlMs: number
  signal?: AbortSignal
  logger: Logger
  /** Asked between polls: true when waiting has become pointless (then no lock is taken). */
  giveUp?: () => Promise<boolean>
}

export function lockFolder(key: string): string {
  return `locks/${createHash('sha256').update(key).digest('hex')}/`
}

function generationName(folder: string, generation: number): string {
  return `${folder}g${String(generation).padStart(12, '0')}`
}

function generationOf(folder: string, name: string): number | null {
  const match = /^g(\d{12})$/.exec(name.slice(folder.length))
  return match ? Number(match[1]) : null
}

export class S3Lock extends RenewedLock {
  private beat = 0
  private beating: Promise<void> = Promise.resolve()

  constructor(
    private readonly objects: BucketObjects,
    private readonly folder: string,
    readonly generation: number,
    private readonly token: string,
    private readonly options: S3LockOptions,
  ) {
    // Three beats per expiry period, so that one slow request does not look like a death.
    super(Math.max(100, Math.floor(options.ttlMs / 3)))
  }

  // Beats are chained, so that release() can wait for the one in flight before writing "released".
  protected renew(): void {
    this.beating = this.beating.then(() => this.beatOnce())
  }

  protected async letGo(): Promise<void> {
    await this.beating
    // A failure here leaves a record that stops beating: waiters take over after ttlMs.
    await this.write(true).catch((error: unknown) => this.options.logger.warn(`s3 cache: could not release a lock (${String(error)}); others take it over after ${this.options.ttlMs} ms`))
  }

  private async beatOnce(): Promise<void> {
    if (this.isReleased) return
    try {
      if ((await this.objects.read(generationName(this.folder, this.generation + 1))) !== null) {
        // We were taken for dead (a pause longer than ttlMs): another worker holds the key now.
        this.options.logger.warn('s3 cache: a lock was taken over by another worker after this one stopped renewing it for too long')
        this.stopRenewing()
        return
      }
      this.beat += 1
      await this.write(false)
    } catch (error) {
      this.options.logger.warn(`s3 cache: could not renew a lock (${String(error)})`)
    }
  }

  private write(released: boolean): Promise<void> {
    const record: LockRecord = { token: this.token, beat: this.beat, released }
    return this.objects.write(generationName(this.folder, this.generation), JSON.stringify(record))
  }
}

/**
 * Takes the lock of `key`, waiting (polling, with jitter) while a live holder has it. Null when
 * `giveUp` says so between polls.
 */
export async function acquireS3Lock(objects: BucketObjects, key: string, options: S3LockOptions): Promise<S3Lock | null> {
  const folder = lockFolder(key)
  const token = randomUUID()
  let watched: { generation: number; etag: string | undefined; since: number } | undefined
  const backoff = new PollBackoff(FIRST_WAIT_MS, LONGEST_WAIT_MS)
  let failures = 0
  for (;;) {
    options.signal?.throwIfAborted()
    const generations = await listGenerations(objects, folder)
    const current = generations.at(-1) ?? 0
    let free = current === 0
    if (!free) {
      const found = await objects.read(generationName(folder, current))
      if (found !== null) {
        const record = parseRecord(found.text)
        const now = performance.now()
        // Our own create succeeded although its answer was lost on the way back.
        if (record?.token === token && !record.released) return new S3Lock(objects, folder, current, token, options)
        if (record === null || record.released) free = true
        else if (watched?.generation === current && watched.etag === found.etag) free = now - watched.since >= options.ttlMs
        else watched = { generation: current, etag: found.etag, since: now }
        if (free && record !== null && !record.released) options.logger.warn(`s3 cache: took over a lock whose holder stopped renewing it ${options.ttlMs} ms ago`)
      }
    }
    if (free && (await tryCreate(objects, generationName(folder, current + 1), token, () => (failures += 1)))) {
      // Earlier generations are finished with: nobody writes them again, and waiters re-list.
      const done = generations.filter((generation) => generation < current).map((generation) => generationName(folder, generation))
      if (done.length > 0) await objects.delete(done).catch(() => {})
      return new S3Lock(objects, folder, current + 1, token, options)
    }
    if (options.giveUp !== undefined && (await options.giveUp())) return null
    await backoff.pause(options.signal)
  }
}

/** Creates the generation; a failed request counts against MAX_FAILURES and reads as "not created" (the next round sees whose it is). */
async function tryCreate(objects: BucketObjects, name: string, token: string, failed: () => number): Promise<boolean> {
  try {
    return await objects.create(name, JSON.stringify({ token, beat: 0, released: false } satisfies LockRecord))
  } catch (error) {
    if (failed() >= MAX_FAILURES) throw error
    return false
  }
}

async function listGenerations(objects: BucketObjects, folder: string): Promise<number[]> {
  const found: number[] = []
  for await (const object of objects.list(folder)) {
    const generation = generationOf(folder, object.name)
    if (generation !== null) found.push(generation)
  }
  return found.sort((a, b) => a - b)
}

function parseRecord(text: string): LockRecord | null {
  try {
    const record = JSON.parse(text) as Partial<LockRecord>
    return typeof record.token === 'string' && typeof record.released === 'boolean' ? (record as LockRecord) : null
  } catch {
    return null
  }
}
