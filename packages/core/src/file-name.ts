import type { AssetRecord } from './asset-record.js'
import { InvalidInputError } from './errors/index.js'

/** Longest file name most filesystems take (ext4, XFS, APFS: 255 bytes). */
export const MAX_FILE_NAME_BYTES = 255

/**
 * Checks the name a version's content is handed back under (`pbmc.h5ad`, `pbmc.zarr`): one path
 * segment that any filesystem takes and that prints safely. Returns it unchanged.
 */
export function validateFileName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidInputError('a file name must be a non-empty string')
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)
  const refuse = (why: string): never => {
    throw new InvalidInputError(`invalid file name ${shown}: ${why}`)
  }
  if (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) refuse(`it is longer than ${MAX_FILE_NAME_BYTES} bytes`)
  if (name === '.' || name === '..') refuse('it is a "." or ".." path segment')
  if (name.includes('/') || name.includes('\\')) refuse('it contains a path separator; give one name, without folders')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) refuse('it contains a NUL or control character')
  // Bidirectional overrides and isolates make a name print as another, with its extension moved.
  if (/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(name)) refuse('it contains a bidirectional control character')
  return name
}

/**
 * The name `get` gives a version's content: the one recorded at put, else (versions registered
 * before names were recorded) the key's last segment, which is always a valid name. A recorded
 * name is checked again, since it becomes part of a path: a row written around the registry's
 * checks (straight into a shared database) must not place a link or a copy outside its folder.
 */
export function fileNameOf(record: Pick<AssetRecord, 'key' | 'fileName'>): string {
  const fromKey = record.key.slice(record.key.lastIndexOf('/') + 1)
  if (record.fileName === undefined) return fromKey
  try {
    return validateFileName(record.fileName)
  } catch {
    return fromKey
  }
}
