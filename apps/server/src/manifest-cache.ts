import { blobLocation, type ContentDigest, InvalidInputError, type ManifestEntry, readManifest, type Storage } from '@assets/core'

const KEPT = 8
/**
 * The largest manifest the server reads: 10⁶ files of long paths. A manifest is parsed whole
 * in memory, and any token can upload a blob and claim it is one, so the size is checked first.
 */
export const MAX_SERVED_MANIFEST_BYTES = 256 * 1024 * 1024

interface Parsed {
  blobs: Map<string, number>
  byPath: Map<string, ManifestEntry>
}

/**
 * The blob locations of recently read folder manifests, by manifest digest: a folder's files
 * are read one request each, and each must be checked against the folder a reader may read.
 * A manifest is immutable (it is its digest), so an entry never goes stale; only the last few
 * are kept, since a manifest of 10⁵ files is a few MB.
 */
export class ManifestCache {
  private readonly entries = new Map<ContentDigest, Promise<Parsed>>()

  constructor(private readonly storage: Storage) {}

  private parsed(location: string, digest: ContentDigest): Promise<Parsed> {
    const known = this.entries.get(digest)
    if (known) {
      this.entries.delete(digest)
      this.entries.set(digest, known)
      return known
    }
    const loading = (async () => {
      const size = (await this.storage.stat(location))?.size ?? 0
      if (size > MAX_SERVED_MANIFEST_BYTES) throw new InvalidInputError(`the manifest ${digest} has ${size} bytes, more than the ${MAX_SERVED_MANIFEST_BYTES} a folder may have`)
      const manifest = await readManifest(this.storage, location, digest)
      return { blobs: new Map(manifest.files.map((f) => [blobLocation(f.digest), f.size])), byPath: new Map(manifest.files.map((f) => [f.path, f])) }
    })()
    loading.catch(() => this.entries.delete(digest))
    this.entries.set(digest, loading)
    while (this.entries.size > KEPT) this.entries.delete(this.entries.keys().next().value as ContentDigest)
    return loading
  }

  /** Location → size of every file blob of the folder whose manifest is at `location`. */
  async files(location: string, digest: ContentDigest): Promise<Map<string, number>> {
    return (await this.parsed(location, digest)).blobs
  }

  /** The manifest's entry for a file of the folder, by its path. */
  async byPath(location: string, digest: ContentDigest, path: string): Promise<{ location: string; size: number; digest: ContentDigest } | undefined> {
    const entry = (await this.parsed(location, digest)).byPath.get(path)
    return entry ? { location: blobLocation(entry.digest), size: entry.size, digest: entry.digest } : undefined
  }
}
