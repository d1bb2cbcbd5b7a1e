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
 * Lists every regular file under `root`, sorted by path so that the manifest of the same folder
 * is always the same bytes. A manifest holds no links: a link is followed and stored as the file
 * or folder it points to, but only when that lies inside the folder, so that a folder never
 * carries what lies outside it by accident (`pw -> /etc/passwd`, `up -> ..`) unless
 * `followLinks` says so. Everything that cannot be stored (such links, link cycles, broken links,
 * FIFOs, sockets, devices, unreadable folders) is named in one InvalidInputError, none skipped.
 */
export async function listFolderFiles(root: string, options: ListFolderOptions = {}): Promise<FolderFile[]> {
  const top = await realpath(root).catch((cause: unknown) => {
    throw new InvalidInputError(`folder ${root} does not exist or cannot be read`, { cause })
  })
  const files: FolderFile[] = []
  const problems: FolderProblems = { outside: [], cycles: [], broken: [], special: [], unreadable: [] }
  // `dir` and every `ancestors` entry are real paths: a folder reached again is a cycle. The
  // entries of a folder are looked at several at a time (a stat each), its subfolders after.
  async function walk(dir: string, prefix: string, ancestors: string[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => null)
    if (entries === null) {
      problems.unreadable.push(prefix || '.')
      return
    }
    const folders: Array<{ absolutePath: string; path: string }> = []
    await runPool(entries, STAT_CONCURRENCY, async (entry) => {
      const name = entry.name
      const path = prefix ? `${prefix}/${name}` : name
      checkManifestPath(path)
      let absolutePath = join(dir, name)
      // Synchronous: a metadata call, cheaper than a thread-pool hop for each of many files.
      let info = lstatOrNull(absolutePath)
      if (info?.isSymbolicLink()) {
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
      else if (info.isDirectory()) folders.push({ absolutePath, path })
      else if (info.isFile()) files.push({ path, absolutePath, size: info.size })
      else problems.special.push(`${path} (${specialKind(info)})`)
    })
    for (const folder of folders) await walk(folder.absolutePath, folder.path, [...ancestors, folder.absolutePath])
  }
  await walk(top, '', [top])
  const report = describeProblems(problems)
  if (report) throw new InvalidInputError(`cannot store folder ${root}: ${report}`)
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
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
  const files = await listFolderFiles(root, options)
  const digests = await runPool(files, HASH_CONCURRENCY, async (file) => (await hashFile(file.absolutePath, { signal: options.signal })).digest)
  const builder = new ManifestBuilder()
  for (const [index, file] of files.entries()) builder.add(file.path, file.size, digests[index] as ContentDigest)
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
