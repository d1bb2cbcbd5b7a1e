import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listFolder, listFolderFiles } from '../src/manager/folder-manifest.js'

// The listing is taken folder by folder, each folder's entries in the order of their paths (a
// subfolder `a` as `a/`), so that no sort of every path is needed: it must still give exactly
// the order of a sort of the whole paths, which the manifest's bytes (and a folder's digest) rest on.

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'folder-listing-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

// Names that sort on either side of '/' (0x2F): '-' 0x2D, '.' 0x2E, '0' 0x30, and prefixes of one another.
const name = fc.oneof(fc.constantFrom('a', 'a-b', 'a.txt', 'a0', 'ab', 'a b', 'é', 'A', 'b', 'a-', 'a.'), fc.stringMatching(/^[a-c.\-0é]{1,3}$/)).filter((s) => s !== '.' && s !== '..')
const tree = fc.uniqueArray(fc.array(name, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 25, selector: (p) => p.join('/') })

let run = 0
async function make(paths: string[][]): Promise<{ root: string; files: Map<string, number> }> {
  const root = join(scratch, `t${run++}`)
  await mkdir(root)
  const files = new Map<string, number>()
  // A path that is a folder of another path stays a folder: its file is skipped.
  const folders = new Set(paths.flatMap((p) => p.slice(0, -1).map((_, i) => p.slice(0, i + 1).join('/'))))
  for (const p of paths) {
    const path = p.join('/')
    if (folders.has(path) || p.slice(0, -1).some((_, i) => files.has(p.slice(0, i + 1).join('/')))) continue
    await mkdir(join(root, ...p.slice(0, -1)), { recursive: true })
    await writeFile(join(root, path), 'x'.repeat(path.length))
    files.set(path, path.length)
  }
  return { root, files }
}

describe('listing a folder', () => {
  it('gives every file once, in the order of a sort of the whole paths, with its real path and size', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (paths) => {
        const { root, files } = await make(paths)
        const real = await realpath(root)
        const listed = await listFolderFiles(root)
        expect(listed.map((f) => f.path)).toEqual([...files.keys()].sort(byPath))
        for (const f of listed) {
          expect(f.absolutePath).toBe(join(real, f.path))
          expect(f.size).toBe(files.get(f.path))
        }
        const listing = await listFolder(root)
        expect(listing.count).toBe(files.size)
        expect(listing.totalSize).toBe([...files.values()].reduce((n, s) => n + s, 0))
      }),
      { numRuns: 40 },
    )
  })

  it('reads a file reached through a link from its target, under the link\'s path', async () => {
    const root = join(scratch, 'linked')
    await mkdir(join(root, 'data', 'deep'), { recursive: true })
    await writeFile(join(root, 'data', 'deep', 'target.bin'), 'target')
    await symlink(join('data', 'deep', 'target.bin'), join(root, 'alias.bin'))
    await symlink('data', join(root, 'more'))
    const real = await realpath(root)
    const listed = await listFolderFiles(root)
    expect(listed).toEqual([
      { path: 'alias.bin', absolutePath: join(real, 'data', 'deep', 'target.bin'), size: 6 },
      { path: 'data/deep/target.bin', absolutePath: join(real, 'data', 'deep', 'target.bin'), size: 6 },
      { path: 'more/deep/target.bin', absolutePath: join(real, 'data', 'deep', 'target.bin'), size: 6 },
    ])
  })
})
