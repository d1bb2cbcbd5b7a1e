import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { FolderManifest, ManifestEntry } from '../asset-record.js'
import { type ContentDigest, hashFile, isContentDigest, sha256 } from '../digest.js'
import { IntegrityError, InvalidInputError } from '../errors/index.js'

/** A file found in a folder asset before its content is stored. */
export interface FolderFile {
  path: string
  absolutePath: string
  size: number
}

/**
 * Lists every regular file under `root` (following symlinks, as a model folder copied from a
 * hub cache is made of them), sorted by path so that the manifest of the same folder is
 * always the same bytes.
 */
export async function listFolderFiles(root: string): Promise<FolderFile[]> {
  const files: FolderFile[] = []
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const absolutePath = join(dir, entry.name)
      const path = prefix ? `${prefix}/${entry.name}` : entry.name
      checkManifestPath(path)
      const info = await stat(absolutePath).catch((cause: unknown) => {
        throw new InvalidInputError(`cannot read ${absolutePath} (a broken link?)`, { cause })
      })
      if (info.isDirectory()) await walk(absolutePath, path)
      else if (info.isFile()) files.push({ path, absolutePath, size: info.size })
    }
  }
  await walk(root, '')
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * The digest a folder asset would be registered under (the sha256 of its manifest), computed
 * without storing anything: for comparing with a declared checksum before a put.
 */
export async function folderDigest(root: string, options: { signal?: AbortSignal } = {}): Promise<ContentDigest> {
  const entries: ManifestEntry[] = []
  for (const file of await listFolderFiles(root)) {
    const { digest } = await hashFile(file.absolutePath, { signal: options.signal })
    entries.push({ path: file.path, size: file.size, digest })
  }
  return sha256(encodeManifest(entries))
}

/** Manifest paths are joined under a cache folder on `get`: none may climb out of it. */
export function checkManifestPath(path: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  const bad = path === '' || path.startsWith('/') || path.includes('\\') || /[\u0000-\u001f]/.test(path)
  if (bad || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidInputError(`invalid file path in folder: ${JSON.stringify(path)}`)
  }
}

/** The canonical bytes of a manifest: the same files always give the same digest. */
export function encodeManifest(files: ManifestEntry[]): Uint8Array {
  const manifest: FolderManifest = {
    manifestVersion: 1,
    files: files.map((f) => ({ path: f.path, size: f.size, digest: f.digest })),
  }
  return new TextEncoder().encode(JSON.stringify(manifest))
}

export function decodeManifest(bytes: Uint8Array, expected: ContentDigest): FolderManifest {
  const actual = sha256(bytes)
  if (actual !== expected) throw new IntegrityError(`folder manifest: expected ${expected}, got ${actual}`)
  const manifest = JSON.parse(new TextDecoder().decode(bytes)) as FolderManifest
  if (manifest.manifestVersion !== 1 || !Array.isArray(manifest.files)) {
    throw new IntegrityError(`folder manifest ${expected} has an unknown format`)
  }
  for (const f of manifest.files) {
    checkManifestPath(f.path)
    if (!isContentDigest(f.digest) || !Number.isSafeInteger(f.size)) {
      throw new IntegrityError(`folder manifest ${expected} has a malformed entry for ${JSON.stringify(f.path)}`)
    }
  }
  return manifest
}
