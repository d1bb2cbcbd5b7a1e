import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { ManagerParts } from '@assets/core'

/** A manager stack in a fresh temporary folder, for tests of managers built on core's. */
export interface ScratchStack {
  home: string
  parts: ManagerParts
  /** Writes a file under the stack's folder and returns its path. */
  file(name: string, content: string | Uint8Array): Promise<string>
  /** Closes `manager` (and with it the stack's plugins), then removes the folder. */
  close(manager: { close(): Promise<void> }): Promise<void>
}

/**
 * `makeParts` builds the plugins under `home` (the testkit depends on no plugin, so each test
 * package brings its own: local folder, SQLite and local cache for the embedded default).
 */
export async function scratchStack(label: string, makeParts: (home: string) => ManagerParts): Promise<ScratchStack> {
  const home = await mkdtemp(join(tmpdir(), `${label}-`))
  return {
    home,
    parts: makeParts(home),
    async file(name, content) {
      const path = join(home, 'files', name)
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, content)
      return path
    },
    async close(manager) {
      try {
        await manager.close()
      } finally {
        await rm(home, { recursive: true, force: true })
      }
    },
  }
}
