import { blobLocation, type ContentDigest, readManifest, type Storage } from '@assets/core'

const KEPT = 16

/**
 * The blob locations of recently read folder manifests, by manifest digest: a folder's files
 * are read one request each, and each must be checked against the folder a reader may read.
 * A manifest is immutable (it is its digest), so an entry never goes stale; only the last few
 * are kept, since a manifest of 10⁵ files is a few MB.
 */
export class ManifestCache {
  private readonly entries = new Map<ContentDigest, Promise<Map<string, number>>>()

  constructor(private readonly storage: Storage) {}

  /** Location → size of every file blob of the folder whose manifest is at `location`. */
  files(location: string, digest: ContentDigest): Promise<Map<string, number>> {
    const known = this.entries.get(digest)
    if (known) {
      this.entries.delete(digest)
      this.entries.set(digest, known)
      return known
    }
    const loading = readManifest(this.storage, location, digest).then((manifest) => new Map(manifest.files.map((f) => [blobLocation(f.digest), f.size])))
    loading.catch(() => this.entries.delete(digest))
    this.entries.set(digest, loading)
    while (this.entries.size > KEPT) this.entries.delete(this.entries.keys().next().value as ContentDigest)
    return loading
  }

  /** The manifest's entries by path, for a reader that names a file of the folder. */
  async byPath(location: string, digest: ContentDigest, path: string): Promise<{ location: string; size: number; digest: ContentDigest } | undefined> {
    const manifest = await readManifest(this.storage, location, digest)
    const entry = manifest.files.find((f) => f.path === path)
    return entry ? { location: blobLocation(entry.digest), size: entry.size, digest: entry.digest } : undefined
  }
}
