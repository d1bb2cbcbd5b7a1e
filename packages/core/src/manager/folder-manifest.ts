import { lstatSync, type Stats } from 'node:fs'
import { readdir, readlink, realpath, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import type { FolderManifest, ManifestEntry } from '../asset-record.js'
import { type ContentDigest, hashFile, isContentDigest, sha256 } from '../digest.js'
import { IntegrityError, InvalidInputError } from '../errors/index.js'
import { runPool } from '../transfer/run-pool.js'
import { ManifestBuilder } from './manifest-builder.js'

/** Files hashed at once. */
const HASH_CONCURRENCY = 16
/** Entries of a folder looked at once while listing it. */
const STAT_CONCURRENCY = 32

/** A file found in a folder asset before its content is stored. */
export interface FolderFile {
  path: string
  /** Where to read it: a real path (links resolved), so a link swapped later is not followed. */
  absolutePath: string
  size: number
}

export interface ListFolderOptions {
  /**
   * Also follow links whose target lies outside the folder, storing what they point to (a model
   * folder made of links into a hub cache). Default false: such links are refused. A link to a
   * folder that holds it is refused either way, since following it would never end.
   */
  followLinks?: boolean
}

/** What a folder holds that cannot be stored, by path relative to the folder. */
interface FolderProblems {
  outside: string[]
  cycles: string[]
  broken: string[]
  special: string[]
  unreadable: string[]
}

/**
 * A folder's files in manifest order (sorted by path), held compactly: per file a name, its
 * folder's number and its size, not an object with two full paths. A put of 10⁵ files keeps
 * this for its whole length, so what it costs per file is the put's peak memory (issue 14).
 */
export class FolderListing {
  /** Each folder's real path (links resolved) and its path relative to the listed folder ('' at the top). */
  private readonly folders: Array<{ real: string; prefix: string }> = []
  private readonly names: string[] = []
  private folderOf = new Uint32Array(1024)
  private sizes = new Float64Array(1024)
  /** Each file's inode and device number as listed: what a reader checks the file it opened against. */
  private identities = new Float64Array(2048)
  /** The real path of each file reached through a link; any other is its folder's real path and its name. */
  private readonly targets = new Map<number, string>()
  /** The sum of the files' sizes. */
  totalSize = 0

  get count(): number {
    return this.names.length
  }

  /** The path relative to the listed folder, as the manifest holds it. */
  path(i: number): string {
    const prefix = (this.folders[this.folderOf[i] as number] as { prefix: string }).prefix
    const name = this.names[i] as string
    return prefix === '' ? name : `${prefix}/${name}`
  }

  /**
   * Where to read file `i`: a real path (links resolved) when listed. A folder on it may be
   * swapped for a link since, so a reader checks that what it opened is the file listed (its
   * inode and device; see folder-store.ts).
   */
  absolutePath(i: number): string {
    const target = this.targets.get(i)
    if (target !== undefined) return target
    const real = (this.folders[this.folderOf[i] as number] as { real: string }).real
    return real.endsWith(sep) ? `${real}${this.names[i]}` : `${real}${sep}${this.names[i]}`
  }

  size(i: number): number {
    return this.sizes[i] as number
  }

  /** File `i`'s inode number as listed. */
  inode(i: number): number {
    return this.identities[2 * i] as number
  }

  /** File `i`'s device number as listed. */
  device(i: number): number {
    return this.identities[2 * i + 1] as number
  }

  /** One object per file, as listFolderFiles returns them. */
  toArray(): FolderFile[] {
    return Array.from({ length: this.count }, (_, i) => ({ path: this.path(i), absolutePath: this.absolutePath(i), size: this.size(i) }))
  }

  /** Numbers a folder; its files are added after it. */
  addFolder(real: string, prefix: string): number {
    this.folders.push({ real, prefix })
    return this.folders.length - 1
  }

  /** Adds a file, in manifest order, with what a stat of it said; `target` when it was reached through a link. */
  addFile(folder: number, name: string, info: { size: number; ino: number; dev: number }, target?: string): void {
    const i = this.names.length
    if (i === this.sizes.length) {
      const folderOf = new Uint32Array(i * 2)
      folderOf.set(this.folderOf)
      this.folderOf = folderOf
      const sizes = new Float64Array(i * 2)
      sizes.set(this.sizes)
      this.sizes = sizes
      const identities = new Float64Array(i * 4)
      identities.set(this.identities)
      this.identities = identities
    }
    const { size } = info
    this.names.push(name)
    this.folderOf[i] = folder
    this.sizes[i] = size
    this.identities[2 * i] = info.ino
    this.identities[2 * i + 1] = info.dev
    this.totalSize += size
    if (target !== undefined) this.targets.set(i, target)
  }
}

/**
 * Lists every regular file under `root`, sorted by path so that the manifest of the same folder
 * is always the same bytes. A manifest holds no links: a link is followed and stored as the file
 * or folder it points to, but only when that lies inside the folder, so that a folder never
 * carries what lies outside it by accident (`pw -> /etc/passwd`, `up -> ..`) unless
 * `followLinks` says so. Everything that cannot be stored (such links, link cycles, broken links,
 * FIFOs, sockets, devices, unreadable folders) is named in one InvalidInputError, none skipped.
 */
export async function listFolderFiles(root: string, options: ListFolderOptions = {}): Promise<FolderFile[]> {
  return (await listFolder(root, options)).toArray()
}

/** listFolderFiles, held compactly (see FolderListing). */
export async function listFolder(root: string, options: ListFolderOptions = {}): Promise<FolderListing> {
  const top = await realpath(root).catch((cause: unknown) => {
    throw new InvalidInputError(`folder ${root} does not exist or cannot be read`, { cause })
  })
  const listing = new FolderListing()
  const problems: FolderProblems = { outside: [], cycles: [], broken: [], special: [], unreadable: [] }
  // `dir` and every `ancestors` entry are real paths: a folder reached again is a cycle. The
  // entries of a folder are looked at several at a time (a stat each), then taken in the order
  // of their paths: a subfolder `a` by `a/`, since every path under it starts so. Listed in that
  // order, depth first, the files come out sorted by their whole paths with no sort of them all.
  async function walk(dir: string, prefix: string, ancestors: string[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => null)
    if (entries === null) {
      problems.unreadable.push(prefix || '.')
      return
    }
    const folder = listing.addFolder(dir, prefix)
    const found: Array<{ key: string; name: string; absolutePath: string; size: number; ino: number; dev: number; link: boolean; folder: boolean }> = []
    await runPool(entries, STAT_CONCURRENCY, async (entry) => {
      const name = entry.name
      const path = prefix ? `${prefix}/${name}` : name
      checkManifestPath(path)
      let absolutePath = join(dir, name)
      // Synchronous: a metadata call, cheaper than a thread-pool hop for each of many files.
      let info = lstatOrNull(absolutePath)
      const link = info?.isSymbolicLink() === true
      if (link) {
        const target = await realpath(absolutePath).catch(() => null)
        if (target === null) {
          problems.broken.push(await describeLink(path, absolutePath))
          return
        }
        if (!options.followLinks && !isWithin(top, target)) {
          problems.outside.push(await describeLink(path, absolutePath))
          return
        }
        absolutePath = target
        info = await stat(target).catch(() => null)
      }
      if (info === null) problems.unreadable.push(path)
      else if (info.isDirectory() && ancestors.includes(absolutePath)) problems.cycles.push(path)
      else if (info.isDirectory()) found.push({ key: `${name}/`, name, absolutePath, size: 0, ino: info.ino, dev: info.dev, link, folder: true })
      else if (info.isFile()) found.push({ key: name, name, absolutePath, size: info.size, ino: info.ino, dev: info.dev, link, folder: false })
      else problems.special.push(`${path} (${specialKind(info)})`)
    })
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    for (const entry of found) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name
      if (entry.folder) await walk(entry.absolutePath, path, [...ancestors, entry.absolutePath])
      else listing.addFile(folder, entry.name, entry, entry.link ? entry.absolutePath : undefined)
    }
  }
  await walk(top, '', [top])
  const report = describeProblems(problems)
  if (report) throw new InvalidInputError(`cannot store folder ${root}: ${report}`)
  return listing
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path)
  } catch {
    return null
  }
}

/** `path -> "target"`: quoted, as a link's text may hold anything, control characters too. */
async function describeLink(path: string, absolutePath: string): Promise<string> {
  const target = await readlink(absolutePath).catch(() => '?')
  return `${path} -> ${JSON.stringify(target)}`
}

function isWithin(folder: string, path: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep)
}

function specialKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO'
  if (info.isSocket()) return 'a socket'
  if (info.isCharacterDevice()) return 'a character device'
  if (info.isBlockDevice()) return 'a block device'
  return 'not a regular file'
}

function describeProblems(problems: FolderProblems): string {
  const parts: string[] = []
  const list = (paths: string[]) => paths.sort().join(', ')
  if (problems.outside.length > 0) {
    parts.push(`links that lead out of it: ${list(problems.outside)} (to store what they point to, put with followLinks, --follow-links on the command line)`)
  }
  if (problems.cycles.length > 0) parts.push(`links to a folder that holds them (a cycle): ${list(problems.cycles)}`)
  if (problems.broken.length > 0) parts.push(`broken links: ${list(problems.broken)}`)
  if (problems.special.length > 0) parts.push(`not regular files: ${list(problems.special)}`)
  if (problems.unreadable.length > 0) parts.push(`unreadable: ${list(problems.unreadable)}`)
  return parts.join('; ')
}

/**
 * The digest a folder asset would be registered under (the sha256 of its manifest), computed
 * without storing anything: for comparing with a declared checksum before a put.
 */
export async function folderDigest(root: string, options: ListFolderOptions & { signal?: AbortSignal } = {}): Promise<ContentDigest> {
  const files = await listFolder(root, options)
  const indexes = Array.from({ length: files.count }, (_, i) => i)
  const digests = await runPool(indexes, HASH_CONCURRENCY, async (i) => (await hashFile(files.absolutePath(i), { signal: options.signal })).digest)
  const builder = new ManifestBuilder()
  for (const i of indexes) builder.add(files.path(i), files.size(i), digests[i] as ContentDigest)
  return sha256(builder.bytes())
}

/** Manifest paths are joined under a cache folder on `get`: none may climb out of it. */
export function checkManifestPath(path: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  const bad = typeof path !== 'string' || path === '' || path.startsWith('/') || path.includes('\\') || /[\u0000-\u001f]/.test(path)
  if (bad || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidInputError(`invalid file path in folder: ${JSON.stringify(path)}`)
  }
}

/** The canonical bytes of a manifest: the same files always give the same digest. */
export function encodeManifest(files: ManifestEntry[]): Uint8Array {
  const builder = new ManifestBuilder()
  for (const f of files) builder.add(f.path, f.size, f.digest)
  return builder.bytes()
}

export function decodeManifest(bytes: Uint8Array, expected: ContentDigest): FolderManifest {
  const actual = sha256(bytes)
  if (actual !== expected) throw new IntegrityError(`folder manifest: expected ${expected}, got ${actual}`)
  // The digest only proves these are the bytes registered, not that we wrote them: whoever can
  // write to the store can register any bytes, so every field is checked before use.
  let manifest: FolderManifest | null
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes)) as FolderManifest | null
  } catch (cause) {
    throw new IntegrityError(`folder manifest ${expected} is not JSON`, { cause })
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.manifestVersion !== 1 || !Array.isArray(manifest.files)) {
    throw new IntegrityError(`folder manifest ${expected} has an unknown format`)
  }
  for (const f of manifest.files as unknown[] as Array<Partial<ManifestEntry> | null>) {
    if (typeof f !== 'object' || f === null) throw new IntegrityError(`folder manifest ${expected} has an entry that is not an object`)
    checkManifestPath(f.path as string)
    if (!isContentDigest(f.digest) || !Number.isSafeInteger(f.size) || (f.size as number) < 0) {
      throw new IntegrityError(`folder manifest ${expected} has a malformed entry for ${JSON.stringify(f.path)}`)
    }
  }
  return manifest
}
