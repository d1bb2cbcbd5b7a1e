import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { ConfigInvalidError, InvalidInputError } from '../errors/index.js'
import { userConfigDir } from './default-paths.js'

type Env = Record<string, string | undefined>

/** The files of a working folder that `AssetConfig.load` reads, and that trusting it covers. */
export const FOLDER_CONFIG_FILES = ['config.yaml', '.env'] as const

/** One folder the user allowed, as recorded in the trust file. */
export interface TrustedFolder {
  /** The folder's real path (symbolic links resolved). */
  path: string
  /** The sha256 of each covered file when it was trusted; null for a file that was absent. */
  files: Record<string, string | null>
  trustedAt: string
}

/**
 * `trusted`: allowed, and its config.yaml and .env are what they were then; `changed`: allowed,
 * but one of them changed since (a `git pull` can bring a new plugin); `untrusted`: never allowed.
 */
export type FolderTrustState = 'trusted' | 'changed' | 'untrusted'

export interface TrustedFolderState extends TrustedFolder {
  state: 'trusted' | 'changed' | 'missing'
}

export interface FolderTrustOptions {
  /** Locates the trust file (`XDG_CONFIG_HOME`, `HOME`); defaults to `process.env`. */
  env?: Env
}

const TRUST_FILE_VERSION = 1

/** `$XDG_CONFIG_HOME/assets/trusted.json`, else `~/.config/assets/trusted.json`. */
export function trustFilePath(env: Env = process.env): string {
  return join(userConfigDir(env), 'trusted.json')
}

/**
 * Whether the user allowed `dir` as a working folder, as direnv's `allow` does: by real path,
 * with the content of its config.yaml and .env, so that a changed file needs allowing again.
 * A trust file that cannot be read trusts nothing.
 */
export function folderTrust(dir: string, options: FolderTrustOptions = {}): FolderTrustState {
  let path: string
  let entries: TrustedFolder[]
  try {
    path = realpathSync(resolve(dir))
    entries = readTrustFile(trustFilePath(options.env), false)
  } catch {
    return 'untrusted'
  }
  const entry = entries.find((e) => e.path === path)
  if (entry === undefined) return 'untrusted'
  return sameFiles(entry.files, fingerprint(path)) ? 'trusted' : 'changed'
}

/** Allows `dir` with its current config.yaml and .env (replacing an earlier entry for it). */
export function trustFolder(dir: string, options: FolderTrustOptions = {}): TrustedFolder {
  const path = realFolder(dir)
  const file = trustFilePath(options.env)
  const entry: TrustedFolder = { path, files: fingerprint(path), trustedAt: new Date().toISOString() }
  writeTrustFile(file, [...readTrustFile(file, true).filter((e) => e.path !== path), entry])
  return entry
}

/** Withdraws the trust in `dir` (which may no longer exist); false when it was not trusted. */
export function revokeFolder(dir: string, options: FolderTrustOptions = {}): boolean {
  const given = resolve(dir)
  let real = given
  try {
    real = realpathSync(given)
  } catch {
    // A folder that is gone is revoked by the path it was trusted under.
  }
  const file = trustFilePath(options.env)
  const entries = readTrustFile(file, true)
  const kept = entries.filter((e) => e.path !== real && e.path !== given)
  if (kept.length === entries.length) return false
  writeTrustFile(file, kept)
  return true
}

/** Every trusted folder, with whether its files are still the ones trusted. */
export function listTrustedFolders(options: FolderTrustOptions = {}): TrustedFolderState[] {
  return readTrustFile(trustFilePath(options.env), true).map((entry) => {
    const exists = statSync(entry.path, { throwIfNoEntry: false })?.isDirectory() === true
    if (!exists) return { ...entry, state: 'missing' }
    return { ...entry, state: sameFiles(entry.files, fingerprint(entry.path)) ? 'trusted' : 'changed' }
  })
}

function realFolder(dir: string): string {
  const given = resolve(dir)
  let path: string
  try {
    path = realpathSync(given)
  } catch {
    throw new InvalidInputError(`cannot trust ${given}: it does not exist`)
  }
  if (!statSync(path).isDirectory()) throw new InvalidInputError(`cannot trust ${given}: it is not a folder`)
  return path
}

function fingerprint(folder: string): Record<string, string | null> {
  const files: Record<string, string | null> = {}
  for (const name of FOLDER_CONFIG_FILES) files[name] = fileDigest(join(folder, name))
  return files
}

// Anything but a readable file still gets a value, so that it turning into one is a change.
function fileDigest(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : `unreadable:${String(code)}`
  }
}

function sameFiles(trusted: Record<string, string | null>, now: Record<string, string | null>): boolean {
  return FOLDER_CONFIG_FILES.every((name) => (trusted[name] ?? null) === now[name])
}

/**
 * The trust file's entries; none when it does not exist. A damaged file is an error when the
 * user is changing it (`strict`), so that nothing they trusted is silently dropped.
 */
function readTrustFile(file: string, strict: boolean): TrustedFolder[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return []
    if (!strict) return []
    throw new ConfigInvalidError([{ field: file, message: `cannot read the trust file (${String((error as { code?: unknown }).code)})` }])
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  const folders = (parsed as { folders?: unknown } | undefined)?.folders
  if (Array.isArray(folders) && folders.every(isTrustedFolder)) return folders
  if (!strict) return []
  throw new ConfigInvalidError([{ field: file, message: 'is not a trust file written by `assets trust`: fix or delete it' }])
}

function isTrustedFolder(value: unknown): value is TrustedFolder {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.path === 'string' && typeof v.files === 'object' && v.files !== null && typeof v.trustedAt === 'string'
}

// Owner-only, and replaced atomically: two commands trusting at once never leave half a file.
function writeTrustFile(file: string, folders: TrustedFolder[]): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`
  try {
    writeFileSync(temporary, `${JSON.stringify({ version: TRUST_FILE_VERSION, folders }, null, 2)}\n`, { mode: 0o600 })
    renameSync(temporary, file)
  } catch (error) {
    rmSync(temporary, { force: true })
    throw error
  }
}
