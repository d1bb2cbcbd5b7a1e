import { cp, mkdir, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { errnoCode } from './file-system.js'

/**
 * Moves a file or folder to `destination`: a rename on the same filesystem (the manager builds
 * entries under stagingPath, so this is the usual case), else a copy and a removal.
 */
export async function moveInto(source: string, destination: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    await mkdir(dirname(destination), { recursive: true })
    try {
      await rename(source, destination)
      return
    } catch (error) {
      if (errnoCode(error) === 'EXDEV') {
        await cp(source, destination, { recursive: true, errorOnExist: true, force: false })
        await rm(source, { recursive: true, force: true })
        return
      }
      // A concurrent delete of the same key may remove the entry folder between mkdir and rename.
      if (errnoCode(error) === 'ENOENT' && attempt < 3) continue
      throw error
    }
  }
}
