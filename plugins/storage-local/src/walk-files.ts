import type { Dirent, Stats } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { errnoCode } from './file-system-error.js'

export interface WalkedFile {
  location: string
  stats: Stats
}

/**
 * Every file under `root/folder`, depth first in name order. The temporary files of uploads are
 * listed too: one left by a crashed process is only ever removed by a `gc` that can see it
 * (gc leaves young objects alone, so uploads in flight are safe). Folders and files that
 * vanish during the walk (a concurrent delete or move) are skipped rather than failing the listing.
 */
export async function* walkFiles(root: string, folder: string): AsyncGenerator<WalkedFile> {
  let entries: Dirent[]
  try {
    entries = await readdir(folder === '' ? root : join(root, ...folder.split('/')), { withFileTypes: true })
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return
    throw error
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    const location = folder === '' ? entry.name : `${folder}/${entry.name}`
    if (entry.isDirectory()) {
      yield* walkFiles(root, location)
    } else if (entry.isFile()) {
      // Symbolic links and other special files are never objects: the store only writes regular files.
      try {
        yield { location, stats: await stat(join(root, ...location.split('/'))) }
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error
      }
    }
  }
}
