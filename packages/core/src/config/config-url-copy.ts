import { createHash } from 'node:crypto'
import { mkdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../atomic-file.js'

/**
 * The last good copy of a config fetched from a URL, used when the server cannot be reached.
 * It lives in the cache folder that the environment alone selects (`$ASSETS_HOME/cache`, else
 * `$XDG_CACHE_HOME/assets`): the fetched config cannot say where its own copy goes. One file
 * per URL, named by the URL's SHA-256 so that a token in the query never becomes a file name;
 * private to the user (0700 folder, 0600 file) because a config may hold secrets; replaced
 * atomically, and only with a config that loaded without problems.
 */
export class ConfigUrlCopy {
  readonly path: string

  constructor(cacheDir: string, url: string) {
    this.path = join(cacheDir, 'config-url', `${createHash('sha256').update(url).digest('hex')}.yaml`)
  }

  /** The copy and when it was written; undefined when there is none or it cannot be read. */
  async read(): Promise<{ text: string; savedAt: Date } | undefined> {
    try {
      const [text, info] = await Promise.all([readFile(this.path, 'utf8'), stat(this.path)])
      return { text, savedAt: info.mtime }
    } catch {
      return undefined
    }
  }

  async keep(text: string): Promise<void> {
    await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 })
    await writeFileAtomic(this.path, text, { mode: 0o600 })
  }
}
