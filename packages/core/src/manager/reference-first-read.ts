import { rm } from 'node:fs/promises'
import type { AssetRecord } from '../asset-record.js'
import type { TransferProgress } from '../atomic-file.js'
import type { MutationContext, Registry } from '../contracts/registry.js'
import type { Storage } from '../contracts/storage.js'
import { type ContentDigest, hashFile } from '../digest.js'
import { IntegrityError, NotFoundError } from '../errors/index.js'
import { assertReferenceUnchanged } from './external-reference.js'

/** Who records a digest when the caller named no one (a library caller without an actor). */
export const ANONYMOUS: MutationContext = { actor: 'user:anonymous' }

/**
 * The first full read of a reference registered without hashing: downloads it to
 * `destination`, hashes it, checks that its pin still holds (so the bytes are the registered
 * object's, not a replacement's), and records the sha256 in the registry, first writer wins.
 * When another reader recorded a different digest, these bytes are not that content: an
 * IntegrityError, and nothing is kept.
 */
export async function firstReadOfReference(
  registry: Registry,
  storage: Storage,
  record: AssetRecord,
  destination: string,
  transfer: { signal?: AbortSignal; onProgress?: (progress: TransferProgress) => void },
  context: MutationContext,
): Promise<AssetRecord> {
  const what = `${record.key}@${record.version}`
  try {
    const result = await storage.download(record.location, destination, { signal: transfer.signal, onProgress: transfer.onProgress }).catch((error: unknown) => {
      if (NotFoundError.isInstance(error)) throw new IntegrityError(`${record.location} is registered but missing from its store`, { cause: error })
      throw error
    })
    const actual = result.digest !== undefined ? { digest: result.digest, size: result.size } : await hashFile(destination)
    if (actual.size !== record.size) throw new IntegrityError(`${what}: read ${actual.size} bytes of ${record.location}, registered with ${record.size}`)
    // A replacement between the check before the read and the read itself is caught here.
    await assertReferenceUnchanged(storage, record)
    const recorded = await registry.recordContentDigest(record.key, record.version, actual.digest as ContentDigest, context)
    if (recorded.digest !== actual.digest) {
      throw new IntegrityError(`${what}: ${record.location} now hashes to ${actual.digest}, but its first read recorded ${recorded.digest}`)
    }
    return recorded
  } catch (error) {
    await rm(destination, { force: true })
    throw error
  }
}
