import type { BucketObjects, ListedObject } from './bucket-objects.js'
import type { SharedBlobs } from './shared-blobs.js'
import type { SharedValues } from './shared-values.js'

export interface SharedBudget {
  /** Bytes of content the bucket keeps; undefined: no limit. */
  maxBytes: number | undefined
  /** Content put longer ago than this goes; undefined: no limit. */
  maxAgeMs: number | undefined
}

/**
 * Deletes the bucket's content put longer ago than maxAgeMs, then the oldest until at most
 * maxBytes remain, and expired values. S3 records no reads, so "oldest" is by the time a blob
 * was put, not last used: a blob every worker still reads can go, and costs one fetch to come
 * back. A worker that is downloading a blob just deleted fails that read and fetches from
 * storage; a blob is content-addressed, so nothing stale can ever be served either way.
 */
export async function pruneShared(
  blobs: SharedBlobs,
  values: SharedValues,
  objects: BucketObjects,
  budget: SharedBudget,
): Promise<{ removed: number; freedBytes: number }> {
  const doomed: ListedObject[] = []
  const kept: ListedObject[] = []
  if (budget.maxBytes !== undefined || budget.maxAgeMs !== undefined) {
    const cutoff = budget.maxAgeMs === undefined ? undefined : Date.now() - budget.maxAgeMs
    for await (const object of blobs.list()) {
      if (cutoff !== undefined && object.lastModified.getTime() < cutoff) doomed.push(object)
      else kept.push(object)
    }
    if (budget.maxBytes !== undefined) {
      kept.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime())
      let bytes = kept.reduce((sum, object) => sum + object.size, 0)
      for (const object of kept) {
        if (bytes <= budget.maxBytes) break
        doomed.push(object)
        bytes -= object.size
      }
    }
    await blobs.removeListed(doomed.map((object) => object.name))
  }
  const expired = await values.expired()
  await objects.delete(expired)
  return { removed: doomed.length, freedBytes: doomed.reduce((sum, object) => sum + object.size, 0) }
}
