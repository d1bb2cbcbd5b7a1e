import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { syncFileSystem } from '../src/atomic-file.js'

// The one durability step of a folder put: a failure must surface, never pass as a plain `sync`
// (which exits 0 whatever the disk said).
describe('syncFileSystem', () => {
  it('syncs the filesystem holding a folder', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'syncfs-'))
    try {
      await expect(syncFileSystem(folder)).resolves.toBeUndefined()
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('reports a failure of sync -f instead of falling back to a sync that cannot fail', async () => {
    await expect(syncFileSystem(join(tmpdir(), 'no-such-folder-for-syncfs', 'x'))).rejects.toThrow(/sync/)
  })
})
