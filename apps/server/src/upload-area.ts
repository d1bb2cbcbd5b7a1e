import { createHash, type Hash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readdir, rm, stat, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { IntegrityError, InvalidInputError, type Storage, toContentDigest } from '@assets/core'
import { StoreFeed } from './store-feed.js'

/** Unfinished uploads one user may have at once: each may hold up to its blob's size on the server's disk. */
export const MAX_PARTIAL_UPLOADS_PER_USER = 64
/** An unfinished upload untouched this long is removed: its client has given up. */
export const PARTIAL_UPLOAD_TTL_MS = 24 * 3600 * 1000

const FLUSH_WAIT_MS = 1000

/**
 * Stores that hash a stream themselves, make it visible only once its digest is the one asked
 * for, and leave nothing at the location when the stream fails (local: a temporary file
 * removed; S3: the multipart upload aborted, never completed). A whole upload to one of them
 * goes to the store while it arrives, not after; any other store gets the finished file.
 */
const STREAM_VERIFYING_STORES = new Set(['local', 's3'])
/** How long a fed store and its upload wait for each other before the store is left out (see StoreFeed). */
export const STORE_FEED_STALL_MS = 5000
/**
 * The least a fed upload must bring in each such window (0.8 MiB/s): below it the store is left
 * out, so that holding a part buffer of the store's shared budget costs a client real bandwidth.
 */
export const STORE_FEED_MIN_BYTES = 4 * 1024 * 1024

/** A user's name as a path segment in the store: fixed length, no character of the name. */
export function userHash(user: string): string {
  return createHash('sha256').update(user).digest('hex').slice(0, 32)
}

/** Where one client's upload of one blob stands. */
export interface UploadState {
  stored: boolean
  /** Bytes received so far of an unfinished upload (0 when none). */
  offset: number
}

/**
 * Blob uploads as the server receives them: each into a partial file of its own (per user and
 * blob), so that a dropped connection resumes where it stopped. The server hashes every byte
 * itself and writes the blob to the store only when the bytes are exactly the ones its
 * location names: a client's claim about content is never taken on trust.
 *
 * Possession, not knowledge: a user may register content only after sending its bytes, even
 * when the store already holds them (another user's private dataset, say), since a digest can
 * be known without the bytes (from an audit trail, a paper, a guess at a public file). Each
 * completed upload leaves a receipt for its user in the store (`staging/receipts/…`, which gc
 * removes after its grace period), shared by every server process; registration asks for one
 * per blob, and HEAD answers "stored" only to the user who holds one, so it reveals nothing
 * about what others stored.
 */
export class UploadArea {
  private readonly busy = new Map<string, Promise<unknown>>()

  constructor(
    private readonly dir: string,
    private readonly storage: Storage,
  ) {}

  private userDir(user: string): string {
    return join(this.dir, userHash(user))
  }

  private partialOf(user: string, location: string): string {
    return join(this.userDir(user), `${createHash('sha256').update(location).digest('hex')}.part`)
  }

  /**
   * Room for one more unfinished upload of `user`: partial files untouched for a day are
   * removed first; past the cap, a new upload is refused until some finish (or lapse).
   */
  private async makeRoom(user: string): Promise<void> {
    const dir = this.userDir(user)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const names = (await readdir(dir)).filter((n) => n.endsWith('.part'))
    if (names.length < MAX_PARTIAL_UPLOADS_PER_USER) return
    const now = Date.now()
    let left = names.length
    for (const name of names) {
      const info = await stat(join(dir, name)).catch(() => undefined)
      if (info && now - info.mtimeMs > PARTIAL_UPLOAD_TTL_MS) {
        await rm(join(dir, name), { force: true })
        left--
      }
    }
    if (left >= MAX_PARTIAL_UPLOADS_PER_USER) {
      throw new InvalidInputError(`user "${user}" has ${left} unfinished uploads, the most the server keeps: finish or abandon some (they lapse after a day)`)
    }
  }

  /** Where the receipt of `user` for the blob `hex` lives in the store. */
  receiptOf(user: string, hex: string): string {
    return `staging/receipts/${userHash(user)}/${hex}`
  }

  /** Records that `user` sent the bytes of the blob `hex` (a completed upload, through the server or presigned). */
  async writeReceipt(user: string, hex: string): Promise<void> {
    await this.storage.upload(this.receiptOf(user, hex), (async function* () {})(), { size: 0 })
  }

  /** Whether `user` sent the bytes of the blob `hex` (and the store holds them). */
  async holds(user: string, location: string, hex: string): Promise<boolean> {
    const [receipt, blob] = await Promise.all([this.storage.stat(this.receiptOf(user, hex)), this.storage.stat(location)])
    return receipt !== null && blob !== null
  }

  async state(user: string, location: string, hex: string, size?: number): Promise<UploadState> {
    // An upload whose client just dropped may still be flushing what arrived: a moment's wait
    // gives a resume the right offset. One still receiving is reported as far as it got.
    const running = this.busy.get(this.partialOf(user, location))
    if (running) await Promise.race([running.catch(() => {}), delay(FLUSH_WAIT_MS)])
    return this.current(user, location, hex, size)
  }

  private async current(user: string, location: string, hex: string, size?: number): Promise<UploadState> {
    const [receipt, blob] = await Promise.all([this.storage.stat(this.receiptOf(user, hex)), this.storage.stat(location)])
    if (receipt && blob && (size === undefined || blob.size === size)) return { stored: true, offset: blob.size }
    const partial = await stat(this.partialOf(user, location)).catch(() => undefined)
    return { stored: false, offset: partial?.size ?? 0 }
  }

  /** Whether a whole upload of `location` goes to the store while it arrives: not when the store holds it already. */
  private async feedsStore(location: string, size: number): Promise<boolean> {
    return STREAM_VERIFYING_STORES.has(this.storage.name) && (await this.storage.stat(location))?.size !== size
  }

  /**
   * Receives bytes `start…` of the blob at `location` (whose sha256 is `hex`, `size` bytes in
   * all), up to byte `end` (exclusive). `start` must be where the partial file ends (0 starts
   * over). Returns true when the blob is now stored. One upload per partial file at a time: a
   * second waits for the first.
   */
  async receive(user: string, location: string, hex: string, size: number, start: number, end: number, body: Readable, onReceived?: () => void): Promise<UploadState> {
    const partial = this.partialOf(user, location)
    for (;;) {
      const running = this.busy.get(partial)
      if (!running) break
      await running.catch(() => {})
    }
    const work = this.receiveAlone(user, location, partial, hex, size, start, end, body, onReceived)
    this.busy.set(partial, work)
    try {
      return await work
    } finally {
      this.busy.delete(partial)
    }
  }

  private async receiveAlone(
    user: string,
    location: string,
    partial: string,
    hex: string,
    size: number,
    start: number,
    end: number,
    body: Readable,
    onReceived?: () => void,
  ): Promise<UploadState> {
    const before = await this.current(user, location, hex, size)
    if (before.stored) {
      body.resume()
      return before
    }
    if (start !== 0 && start !== before.offset) {
      body.resume()
      throw new InvalidInputError(`the upload of ${location} continues at byte ${before.offset}, not ${start}`)
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    if (before.offset === 0) await this.makeRoom(user)
    if (start === 0) await truncate(partial, 0).catch(() => {})
    const hash = createHash('sha256')
    if (start > 0) await hashFile(partial, hash)
    let received = start
    // A whole blob in this one request also goes to the store as it arrives (the file is kept
    // for a resume and as the fallback); the store completes it only when the stream ends,
    // which happens only after this receiver checked every byte.
    const feed = start === 0 && end === size && (await this.feedsStore(location, size)) ? new StoreFeed(STORE_FEED_STALL_MS, STORE_FEED_MIN_BYTES) : undefined
    const fed = feed
      ? this.storage
          .upload(location, feed.chunks(), { digest: `sha256:${hex}`, size, signal: feed.signal })
          .then(
            () => true,
            () => false,
          )
          .finally(() => feed.settled())
      : undefined
    const writer = createWriteStream(partial, { flags: start === 0 ? 'w' : 'a', mode: 0o600 })
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          received += chunk.length
          if (received > size) throw new InvalidInputError(`more bytes than the ${size} declared for ${location}`)
          hash.update(chunk)
          // To the file first: a connection dropped while the store is still taking this chunk
          // then keeps it for the resume (HEAD's offset counts it).
          yield chunk
          await feed?.push(chunk)
        }
      },
      writer,
    ).catch(async (error: unknown) => {
      feed?.fail(error)
      await fed
      // Too many bytes: nothing of this upload is kept. A dropped connection keeps what arrived, to resume from.
      if (InvalidInputError.isInstance(error)) await rm(partial, { force: true })
      throw error
    })
    onReceived?.()
    if (received < size) {
      feed?.fail(new InvalidInputError(`the upload of ${location} ended at byte ${received} of ${size}`))
      await fed
      return { stored: false, offset: received }
    }
    const digest = toContentDigest(hash)
    if (digest !== `sha256:${hex}`) {
      const error = new IntegrityError(`the bytes sent for ${location} have digest ${digest}: nothing was stored`)
      feed?.fail(error)
      await fed
      await rm(partial, { force: true })
      throw error
    }
    feed?.end()
    // A fed store that failed or was left out on the way gets the file, as an unfed one does.
    // The same bytes stored before (by anyone) are not written again; the receipt is this user's either way.
    if (!(await fed) && (await this.storage.stat(location))?.size !== size) await this.storage.upload(location, partial, { digest, size })
    await this.writeReceipt(user, hex)
    await rm(partial, { force: true })
    return { stored: true, offset: size }
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
}
