import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteRegistry } from '../src/index.js'

const folder = mkdtempSync(join(tmpdir(), 'registry-sqlite-modes-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const modeOf = (path: string) => statSync(path).mode & 0o777

describe('file modes', () => {
  it('a new database is owner-only (0600, its folder 0700), and so are its WAL files', async () => {
    const path = join(folder, 'private', 'registry.db')
    const registry = createSqliteRegistry({ path })
    expect(await registry.resolve('datasets/none', 'latest')).toBeNull()
    expect(modeOf(join(folder, 'private'))).toBe(0o700)
    expect(modeOf(path)).toBe(0o600)
    expect(modeOf(`${path}-wal`)).toBe(0o600)
    await registry.close()
  })

  it('a shared database leaves its mode to the umask', async () => {
    const path = join(folder, 'shared', 'registry.db')
    const registry = createSqliteRegistry({ path, shared: true })
    expect(await registry.resolve('datasets/none', 'latest')).toBeNull()
    expect(modeOf(path)).toBe(0o666 & ~process.umask())
    await registry.close()
  })
})
