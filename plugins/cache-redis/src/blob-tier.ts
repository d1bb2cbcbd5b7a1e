import { createHash } from 'node:crypto'
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { copyHashing, isContentDigest, type Logger, sha256 } from '@assets/core'
import { RESP_TYPES } from 'redis'
import { BYPASS, type Bypass, type RedisClient, type RedisConnection } from './redis-connection.js'
import { isContentKey, type RedisKeys } from './redis-keys.js'

/** The record of a blob kept in Redis; written last (in the same transaction as its pieces). */
export interface BlobMeta {
  digest: string
  size: number
  chunks: number
  chunkBytes: number
}

export interface BlobTierOptions {
  maxBlobBytes: number
  chunkBytes: number
  logger: Logger
}

/** What Redis holds, for `stats`. */
export interface SharedCounts {
  blobs: number
  blobBytes: number
  /** Content known to the tier but not kept in it (large files, folders). */
  markers: number
}

// Pieces requested ahead of the one being written, so that the network and the disk overlap.
const PREFETCH = 4

/** A blob could not be read whole: Redis went away, or a piece was evicted. */
class BlobUnreadable extends Error {
  constructor(readonly reason: 'unavailable' | 'missing') {
    super(reason)
  }
}

/**
 * Small content files kept in Redis in pieces, by digest, so that any worker can fill its local
 * tier without going to storage. Every read is checked against the digest: a blob that does not
 * match is deleted from Redis and treated as absent, never handed out.
 */
export class BlobTier {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly options: BlobTierOptions,
  ) {}

  /**
   * Called after the local tier took an entry: keeps a small content file in Redis, and for
   * larger files and folders records only that the content exists (kind and size). Best effort:
   * the local entry is already committed, so a failure here only costs other workers a download.
   */
  async share(key: string, path: string, ttlMs: number | undefined): Promise<void> {
    if (!isContentKey(key)) return
    const info = await stat(path).catch(() => null)
    if (info === null) return
    if (info.isFile() && isContentDigest(key) && info.size <= this.options.maxBlobBytes) {
      await this.store(key, path, ttlMs)
      return
    }
    const size = info.isFile() ? info.size : await folderBytes(path).catch(() => null)
    if (size === null) return
    const marker = this.keys.marker(key)
    await this.connection.attempt(`recording ${key}`, async (client) => {
      const transaction = client.multi()
      transaction.del(marker)
      transaction.hSet(marker, { kind: info.isFile() ? 'file' : 'folder', size: String(size) })
      if (ttlMs !== undefined) transaction.pExpire(marker, ttlMs)
      await transaction.exec()
    })
  }

  /**
   * Writes the blob at `key` into the new file `destination`, verified against the key. Null
   * when Redis holds no intact copy (a damaged one is deleted); else the blob's remaining
   * lifetime, which the local copy should not outlive.
   */
  async materialise(key: string, destination: string): Promise<{ ttlMs: number | undefined } | null> {
    if (!isContentDigest(key)) return null
    const fields = await this.connection.attempt(`reading ${key}`, (client) => client.hGetAll(this.keys.blob(key)))
    if (fields === BYPASS || Object.keys(fields).length === 0) return null
    const meta = parseMeta(fields, key)
    if (meta === null) {
      await this.discard(key, 'its record in Redis is malformed')
      return null
    }
    let written: { digest: string; size: number }
    try {
      written = await copyHashing(this.piecesOf(key, meta), destination)
    } catch (error) {
      await rm(destination, { force: true })
      if (error instanceof BlobUnreadable && error.reason === 'missing') await this.discard(key, 'a piece of it is missing (evicted?)')
      // Redis went away mid-read (already reported), or the local disk failed: a miss either
      // way; the caller fetches from storage, which reports a disk problem properly.
      return null
    }
    if (written.digest !== key || written.size !== meta.size) {
      await rm(destination, { force: true })
      await this.discard(key, `its ${written.size} bytes hash to ${written.digest}`)
      return null
    }
    const pttl = await this.connection.attempt(`reading ${key}`, (client) => client.pTTL(this.keys.blob(key)))
    return { ttlMs: pttl === BYPASS || pttl < 0 ? undefined : Math.max(pttl, 1) }
  }

  /** True when Redis holds a blob for `key` (checked when read, not here). */
  async has(key: string): Promise<boolean> {
    if (!isContentDigest(key)) return false
    return (await this.connection.attempt(`looking up ${key}`, (client) => client.exists(this.keys.blob(key)))) === 1
  }

  /** True when `key` is content the tier knows of but does not keep: waiting for another worker to fetch it gains nothing. */
  async isNotKept(key: string): Promise<boolean> {
    if (!isContentKey(key)) return false
    return (await this.connection.attempt(`looking up ${key}`, (client) => client.exists(this.keys.marker(key)))) === 1
  }

  /** Removes the blob or marker of `key`; BYPASS when Redis could not be reached. */
  async remove(key: string): Promise<undefined | Bypass> {
    if (!isContentKey(key)) return undefined
    const result = await this.connection.attempt(`deleting ${key}`, (client) => this.removeWith(client, key))
    return result === BYPASS ? BYPASS : undefined
  }

  /** `remove` on a client the caller already holds: recovery hooks cannot use attempt(), which waits for them. */
  async removeWith(client: RedisClient, key: string): Promise<void> {
    const doomed = [this.keys.marker(key)]
    if (isContentDigest(key)) {
      const chunks = Number((await client.hGet(this.keys.blob(key), 'chunks')) ?? 0)
      // The record goes in the same DEL as the pieces, so no reader finds one without the other.
      doomed.push(this.keys.blob(key))
      for (let index = 0; index < (Number.isSafeInteger(chunks) ? chunks : 0); index += 1) doomed.push(this.keys.chunk(key, index))
    }
    await client.del(doomed)
  }

  /** Re-hashes every blob in Redis, one at a time; those that do not match their digest are deleted. */
  async verify(): Promise<{ checked: number; removed: string[] }> {
    const result = { checked: 0, removed: [] as string[] }
    for await (const batch of this.connection.scan('verifying blobs', this.keys.pattern('blob'))) {
      for (const redisKey of batch) {
        const key = this.keys.digestOfBlob(redisKey)
        const state = await this.connection.attempt(`verifying ${key}`, (client) => this.check(client, key))
        if (state === BYPASS) return result
        if (state === 'gone') continue
        result.checked += 1
        if (state === 'intact') continue
        await this.discard(key, state)
        result.removed.push(key)
      }
    }
    return result
  }

  /** Blob count and bytes, and markers, by SCAN: proportional to what Redis holds, meant for `stats`, not hot paths. Null without Redis. */
  async counts(): Promise<SharedCounts | null> {
    if ((await this.connection.ready()) === null) return null
    const found: SharedCounts = { blobs: 0, blobBytes: 0, markers: 0 }
    for await (const batch of this.connection.scan('counting blobs', this.keys.pattern('blob'))) {
      const sizes = await this.connection.attempt('counting blobs', (client) => Promise.all(batch.map((redisKey) => client.hGet(redisKey, 'size'))))
      if (sizes === BYPASS) return null
      for (const size of sizes) {
        if (size === null) continue
        found.blobs += 1
        found.blobBytes += Number(size) || 0
      }
    }
    for await (const batch of this.connection.scan('counting markers', this.keys.pattern('marker'))) found.markers += batch.length
    return this.connection.available ? found : null
  }

  /** Pieces first, record last, in one MULTI: a reader finds the whole blob or none of it. */
  private async store(key: string, path: string, ttlMs: number | undefined): Promise<void> {
    const bytes = await readFile(path).catch(() => null)
    // Bytes that do not match their key (a bad download the manager would have caught) are
    // kept out of the shared tier, where every worker would trust them.
    if (bytes === null || sha256(bytes) !== key) return
    const chunkBytes = this.options.chunkBytes
    const chunks = Math.ceil(bytes.length / chunkBytes)
    const expiry = ttlMs === undefined ? undefined : { expiration: { type: 'PX' as const, value: ttlMs } }
    await this.connection.attempt(`storing ${key}`, async (client) => {
      const transaction = client.multi()
      for (let index = 0; index < chunks; index += 1) {
        transaction.set(this.keys.chunk(key, index), bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes), expiry)
      }
      const blob = this.keys.blob(key)
      transaction.del(blob)
      transaction.hSet(blob, { digest: key, size: String(bytes.length), chunks: String(chunks), chunkBytes: String(chunkBytes) })
      if (ttlMs !== undefined) transaction.pExpire(blob, ttlMs)
      transaction.del(this.keys.marker(key))
      await transaction.exec()
    })
  }

  private async *piecesOf(key: string, meta: BlobMeta): AsyncGenerator<Buffer> {
    const fetch = (index: number) =>
      this.connection.attempt(`reading ${key}`, (client) => binary(client).get(this.keys.chunk(key, index)))
    const window: Array<Promise<Buffer | null | Bypass>> = []
    let next = 0
    while (next < meta.chunks && window.length < PREFETCH) window.push(fetch(next++))
    for (let pending = window.shift(); pending !== undefined; pending = window.shift()) {
      const piece = await pending
      if (next < meta.chunks) window.push(fetch(next++))
      if (piece === BYPASS) throw new BlobUnreadable('unavailable')
      if (piece === null) throw new BlobUnreadable('missing')
      yield piece
    }
  }

  /** Reads a blob whole and compares it with its digest; 'gone' when it vanished meanwhile (deleted, not damaged). */
  private async check(client: RedisClient, key: string): Promise<'intact' | 'gone' | string> {
    const fields = await client.hGetAll(this.keys.blob(key))
    if (Object.keys(fields).length === 0) return 'gone'
    const meta = parseMeta(fields, key)
    if (meta === null) return 'its record is malformed'
    const hash = createHash('sha256')
    let size = 0
    for (let index = 0; index < meta.chunks; index += 1) {
      const piece = await binary(client).get(this.keys.chunk(key, index))
      if (piece === null) return (await client.exists(this.keys.blob(key))) === 1 ? 'a piece of it is missing' : 'gone'
      hash.update(piece)
      size += piece.length
    }
    const digest = `sha256:${hash.digest('hex')}`
    return digest === key && size === meta.size ? 'intact' : `its ${size} bytes hash to ${digest}`
  }

  private async discard(key: string, reason: string): Promise<void> {
    await this.remove(key)
    this.options.logger.warn(`redis cache: discarded ${key} from Redis: ${reason}; it will be fetched again`)
  }
}

function binary(client: RedisClient) {
  return client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
}

/** The record, when it is well formed and belongs to `key`. */
function parseMeta(fields: Record<string, string>, key: string): BlobMeta | null {
  const size = Number(fields.size)
  const chunks = Number(fields.chunks)
  const chunkBytes = Number(fields.chunkBytes)
  if (fields.digest !== key || ![size, chunks, chunkBytes].every((n) => Number.isSafeInteger(n) && n >= 0)) return null
  if (chunkBytes === 0 || chunks !== Math.ceil(size / chunkBytes)) return null
  return { digest: key, size, chunks, chunkBytes }
}

/** Bytes of every regular file under a folder, counted as the local tier counts an entry's size. */
async function folderBytes(root: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size
  }
  return total
}
