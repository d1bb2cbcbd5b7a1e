import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isContentDigest, type Logger, sha256 } from '@assets/core'
import { decodeItem, encodeItem, expiresAt, memcachedExpiry } from './item-format.js'
import { BYPASS, type Bypass, type MemcachedClient, type MemcachedConnection } from './memcached-connection.js'
import { isContentKey, type MemcachedKeys } from './memcached-keys.js'
import type { Namespace } from './namespace.js'

export interface BlobTierOptions {
  maxBlobBytes: number
  logger: Logger
}

/**
 * Small content files kept in memcached as single items, by digest, so that any worker can fill
 * its local tier without going to storage. One item, not pieces: memcached may evict any item at
 * any time, and a blob in pieces would be a blob with holes. Every read is checked against the
 * digest: a blob that does not match is deleted and treated as absent, never handed out.
 */
export class BlobTier {
  constructor(
    private readonly connection: MemcachedConnection,
    private readonly keys: MemcachedKeys,
    private readonly namespace: Namespace,
    private readonly options: BlobTierOptions,
  ) {}

  /**
   * Called after the local tier took an entry: keeps a small content file in memcached, and for
   * larger files and folders records only that the content exists (so that lock waiters stop
   * waiting for it). Best effort: the local entry is already committed.
   */
  async share(key: string, path: string, ttlMs: number | undefined): Promise<void> {
    if (!isContentKey(key)) return
    const info = await stat(path).catch(() => null)
    if (info === null) return
    const exp = expiresAt(ttlMs)
    const header = (ns: string) => ({ ns, key, ...(exp === undefined ? {} : { exp }) })
    const expires = memcachedExpiry(ttlMs)
    if (info.isFile() && isContentDigest(key) && info.size <= this.options.maxBlobBytes) {
      const bytes = await readFile(path).catch(() => null)
      // Bytes that do not match their key (a bad download the manager would have caught) are
      // kept out of the shared tier, where every worker would trust them.
      if (bytes === null || sha256(bytes) !== key) return
      await this.connection.attempt(`storing ${key}`, async (client) =>
        client.set(this.keys.blob(key), encodeItem(header(await this.namespace.current(client)), bytes), { expires }),
      )
      return
    }
    const size = info.isFile() ? info.size : await folderBytes(path).catch(() => null)
    if (size === null) return
    const marker = JSON.stringify({ kind: info.isFile() ? 'file' : 'folder', size })
    await this.connection.attempt(`recording ${key}`, async (client) =>
      client.set(this.keys.marker(key), encodeItem(header(await this.namespace.current(client)), marker), { expires }),
    )
  }

  /**
   * Writes the blob at `key` into the new file `destination`, verified against the key. Null
   * when memcached holds no intact copy (a damaged one is deleted); else the blob's remaining
   * lifetime, which the local copy should not outlive.
   */
  async materialise(key: string, destination: string): Promise<{ ttlMs: number | undefined } | null> {
    if (!isContentDigest(key)) return null
    const read = await this.connection.attempt(`reading ${key}`, (client) => this.namespace.read(client, this.keys.blob(key)))
    if (read === BYPASS) return null
    const decoded = decodeItem(read.item, read.ns, key)
    if (decoded === null) return null
    const bytes = decoded.payload
    if (sha256(bytes) !== key) {
      await this.remove(key)
      this.options.logger.warn(`memcached cache: discarded ${key} from memcached: its ${bytes.length} bytes hash to ${sha256(bytes)}; it will be fetched again`)
      return null
    }
    await writeFile(destination, bytes, { flag: 'wx', flush: true })
    return { ttlMs: decoded.exp === undefined ? undefined : Math.max(decoded.exp - Date.now(), 1) }
  }

  /** True when memcached holds a blob for `key` (checked when read, not here). */
  async has(key: string): Promise<boolean> {
    if (!isContentDigest(key)) return false
    const read = await this.connection.attempt(`looking up ${key}`, (client) => this.namespace.read(client, this.keys.blob(key)))
    return read !== BYPASS && decodeItem(read.item, read.ns, key) !== null
  }

  /** True when `key` is content the tier knows of but does not keep: waiting for another worker to fetch it gains nothing. */
  async isNotKept(key: string): Promise<boolean> {
    if (!isContentKey(key)) return false
    const read = await this.connection.attempt(`looking up ${key}`, (client) => this.namespace.read(client, this.keys.marker(key)))
    return read !== BYPASS && decodeItem(read.item, read.ns, key) !== null
  }

  /** Removes the blob and marker of `key`; BYPASS when memcached could not be reached. */
  async remove(key: string): Promise<undefined | Bypass> {
    if (!isContentKey(key)) return undefined
    const result = await this.connection.attempt(`deleting ${key}`, (client) => this.removeWith(client, key))
    return result === BYPASS ? BYPASS : undefined
  }

  /** `remove` on a client the caller already holds: recovery hooks cannot use attempt(), which waits for them. */
  async removeWith(client: MemcachedClient, key: string): Promise<void> {
    await Promise.all([client.delete(this.keys.blob(key)), client.delete(this.keys.marker(key))])
  }
}

/** Bytes of every regular file under a folder, counted as the local tier counts an entry's size. */
async function folderBytes(root: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size
  }
  return total
}
