import { stat } from 'node:fs/promises'
import { IntegrityError, listFolderFiles } from '@assets/core'

/**
 * What changes whenever a file's bytes change: device, inode, size, and the modification and
 * status-change times in nanoseconds. The status-change time cannot be set back by a writer
 * (utimes sets it to now), so rewriting a file in place with the same size and the old
 * modification time still changes it; replacing the file by a rename changes the inode.
 * For a folder: the same for every file the put would store (links followed as the put
 * follows them), so a file added, removed or changed shows.
 */
export async function sourceIdentity(path: string, type: 'file' | 'folder', options: { followLinks?: boolean } = {}): Promise<string> {
  if (type === 'file') return fileIdentity(path)
  const files = await listFolderFiles(path, { followLinks: options.followLinks })
  const parts = await Promise.all(files.map(async (f) => `${f.path}\u0000${await fileIdentity(f.absolutePath)}`))
  return parts.join('\n')
}

async function fileIdentity(path: string): Promise<string> {
  const s = await stat(path, { bigint: true })
  return [s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs].join(':')
}

/** Refuses the put when the source changed since `before` was taken (before validation). */
export async function assertUnchanged(path: string, type: 'file' | 'folder', before: string, options: { followLinks?: boolean } = {}): Promise<void> {
  const after = await sourceIdentity(path, type, options).catch(() => undefined)
  if (after !== before) {
    throw new IntegrityError(`dataset ${path} changed while it was being put (after validation began); nothing was registered: put it again once it is no longer being written`)
  }
}
