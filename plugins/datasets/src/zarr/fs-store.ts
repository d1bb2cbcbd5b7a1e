import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'

/**
 * A read-only zarr store over a local folder: what zarrita asks for is a `get(key)` that
 * returns the bytes of `<root>/<key>`, or undefined when there is no such file.
 */
export class FileSystemStore {
  readonly root: string

  constructor(root: string) {
    this.root = resolve(root)
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.resolveKey(key)
    if (!path) return undefined
    try {
      return new Uint8Array(await readFile(path))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined
      throw error
    }
  }

  /** Names of the zarr nodes (groups and arrays, v2 or v3) directly inside `path`. */
  async children(path: string): Promise<string[]> {
    const dir = this.resolveKey(path)
    if (!dir) return []
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
    const names: string[] = []
    for (const e of entries) {
      if (!e.isDirectory()) continue
      for (const marker of ['.zarray', '.zgroup', 'zarr.json']) {
        if (await stat(join(dir, e.name, marker)).then(() => true, () => false)) {
          names.push(e.name)
          break
        }
      }
    }
    return names.sort()
  }

  // Keys come from metadata inside the store: never let one reach outside the folder.
  private resolveKey(key: string): string | undefined {
    const path = resolve(this.root, `.${key.startsWith('/') ? key : `/${key}`}`)
    return path === this.root || path.startsWith(this.root + sep) ? path : undefined
  }
}
