import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { copyOut } from '../src/manager/copy-out.js'
import { THREADED_COPY_MIN_FILES } from '../src/manager/threaded-copy-out.js'

const folders: string[] = []
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })))
})

/** A sealed-like entry: enough small files for the threads, read-only, in a read-only subfolder. */
async function entryWithManyFiles(): Promise<{ root: string; entry: string; files: Map<string, Buffer> }> {
  const root = await mkdtemp(join(tmpdir(), 'copy-out-'))
  folders.push(root)
  const entry = join(root, 'entry')
  const files = new Map<string, Buffer>()
  await mkdir(join(entry, 'sub'), { recursive: true })
  for (let i = 0; i < THREADED_COPY_MIN_FILES + 40; i++) files.set(i % 2 ? `sub/f${i}` : `f${i}`, randomBytes(100 + ((i * 53) % 3000)))
  files.set('sub/large.bin', randomBytes((1 << 20) + 1))
  for (const [path, bytes] of files) {
    await writeFile(join(entry, path), bytes)
    await chmod(join(entry, path), 0o400)
  }
  return { root, entry, files }
}

describe('copyOut of a folder of many files', () => {
  it('copies each file byte for byte with its mode made writable by its owner, and each subfolder writable', async () => {
    const { root, entry, files } = await entryWithManyFiles()
    await chmod(join(entry, 'sub'), 0o500)
    const target = join(root, 'copy')
    try {
      await copyOut(entry, target)
    } finally {
      await chmod(join(entry, 'sub'), 0o700)
    }
    expect((await readdir(target, { recursive: true })).length).toBe(files.size + 1)
    for (const [path, bytes] of files) {
      expect((await readFile(join(target, path))).equals(bytes), path).toBe(true)
      expect((await stat(join(target, path))).mode & 0o777, path).toBe(0o600)
    }
    expect((await stat(join(target, 'sub'))).mode & 0o700).toBe(0o700)
  })

  it('refuses a link among the files rather than copy what it points to', async () => {
    const { root, entry } = await entryWithManyFiles()
    await writeFile(join(root, 'secret'), 'not in the entry')
    await symlink(join(root, 'secret'), join(entry, 'sub', 'planted'))
    const error = (await copyOut(entry, join(root, 'copy')).catch((e: unknown) => e)) as { code?: string; message?: string }
    expect(error.code).toBe('INTEGRITY_ERROR')
    expect(error.message).toContain(join(entry, 'sub', 'planted'))
    await expect(stat(join(root, 'copy', 'sub', 'planted'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses a file that is not a regular one, without waiting on it', async () => {
    const { root, entry } = await entryWithManyFiles()
    // A FIFO with no writer: opened blocking, the copy would wait forever.
    execFileSync('mkfifo', [join(entry, 'pipe')])
    const error = (await copyOut(entry, join(root, 'copy')).catch((e: unknown) => e)) as { code?: string; message?: string }
    expect(error.code).toBe('INTEGRITY_ERROR')
    expect(error.message).toContain('is not a regular file')
  })
})
