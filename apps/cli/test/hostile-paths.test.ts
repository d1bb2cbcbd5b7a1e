import { execFileSync } from 'node:child_process'
import { lstatSync, statSync } from 'node:fs'
import { mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFailure, Sandbox } from './fixtures/cli.js'

// The paths a user hands the command are taken as hostile: `get --out` replaces only a
// regular file, and a folder put never carries what a link out of the folder points to.
let s: Sandbox
beforeAll(async () => {
  s = await Sandbox.create('hostile-paths')
  await writeFile(s.path('one.txt'), 'hello\n')
  await s.json(['put', 'file/one', 'one.txt'])
  await mkdir(s.path('plain', 'sub'), { recursive: true })
  await writeFile(s.path('plain', 'sub', 'x.txt'), 'x')
  await s.json(['put', 'fold/plain', 'plain'])
})
afterAll(() => s.cleanup())

describe('get --out', () => {
  it('refuses a FIFO and a character device and leaves them as they were', async () => {
    execFileSync('mkfifo', [s.path('fifo')])
    const fifo = await s.run(['get', 'file/one', '--out', 'fifo'])
    expectFailure(fifo, 'INVALID_INPUT')
    expect(fifo.stderr).toContain(`${s.path('fifo')} is a FIFO`)
    expect(lstatSync(s.path('fifo')).isFIFO()).toBe(true)
    // As root a regression would replace the device given: make one in the sandbox (the same
    // device as /dev/null), so a failing run cannot break the machine. Without root, /dev/null
    // itself cannot be replaced anyway.
    const root = process.getuid?.() === 0
    if (root) execFileSync('mknod', [s.path('null'), 'c', '1', '3'])
    const device = root ? s.path('null') : '/dev/null'
    const refused = await s.run(['get', 'file/one', '--out', device])
    expectFailure(refused, 'INVALID_INPUT')
    expect(refused.stderr).toContain(`${device} is a character device`)
    expect(lstatSync(device).isCharacterDevice()).toBe(true)
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true)
  })

  it('refuses a link, neither replacing it nor writing through it', async () => {
    await writeFile(s.path('precious.txt'), 'mine')
    await symlink(s.path('precious.txt'), s.path('link'))
    await symlink('nowhere', s.path('dangling'))
    for (const out of ['link', 'dangling']) {
      const result = await s.run(['get', 'file/one', '--out', out])
      expectFailure(result, 'INVALID_INPUT')
      expect(result.stderr).toContain(`${s.path(out)} is a link`)
    }
    expect(await readlink(s.path('link'))).toBe(s.path('precious.txt'))
    expect(await readlink(s.path('dangling'))).toBe('nowhere')
    expect(await readFile(s.path('precious.txt'), 'utf8')).toBe('mine')
  })

  it('- writes a file asset to stdout and nothing else, with a cache or without; a folder asset is refused', async () => {
    expect(await s.run(['get', 'file/one', '--out', '-'])).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' })
    const uncached = await s.run(['get', 'file/one', '--out', '-'], { env: { CACHE_ENABLED: 'false' } })
    expect(uncached).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' })
    // The download made for that call alone is gone.
    const scratch = await readdir(join(s.home, 'cache', 'scratch')).catch(() => [])
    expect(scratch.filter((name) => name.startsWith('assets-'))).toEqual([])
    expect(await readdir(s.work)).not.toContain('-')
    const folder = await s.run(['get', 'fold/plain', '--out', '-'])
    expectFailure(folder, 'INVALID_INPUT')
    expect(folder.stderr).toContain('fold/plain@1.0.0 is a folder')
  })

  it('a folder asset over an existing file is INVALID_INPUT and writes nothing', async () => {
    await mkdir(s.path('dest'))
    await writeFile(s.path('dest', 'afile'), 'mine')
    const result = await s.run(['get', 'fold/plain', '--out', 'dest/afile'])
    expectFailure(result, 'INVALID_INPUT')
    expect(result.stderr).toContain(`${s.path('dest', 'afile')} exists and is not a folder`)
    expect(await readdir(s.path('dest'))).toEqual(['afile'])
    expect(await readFile(s.path('dest', 'afile'), 'utf8')).toBe('mine')
  })
})

describe('put of a folder', () => {
  it('refuses links that lead out of it, naming each; --follow-links stores what they point to', async () => {
    await mkdir(s.path('secrets'))
    await writeFile(s.path('secrets', 'passwd'), 'root:x:0:0\n')
    await mkdir(s.path('model', 'sub'), { recursive: true })
    await writeFile(s.path('model', 'config.json'), '{}')
    await symlink(s.path('secrets', 'passwd'), s.path('model', 'pw'))
    await symlink('../../secrets', s.path('model', 'sub', 'all'))
    await symlink('config.json', s.path('model', 'same-config.json'))
    const refused = await s.run(['put', 'models/m', 'model'])
    expectFailure(refused, 'INVALID_INPUT')
    expect(refused.stderr).toContain(`pw -> ${JSON.stringify(s.path('secrets', 'passwd'))}`)
    expect(refused.stderr).toContain('sub/all -> "../../secrets"')
    expect(refused.stderr).toContain('--follow-links')
    expectFailure(await s.run(['info', 'models/m']), 'ASSET_NOT_FOUND')
    const put = await s.json<{ fileCount: number }>(['put', 'models/m', 'model', '--follow-links'])
    expect(put.fileCount).toBe(4)
    expect((await s.run(['cat', 'models/m', '--path', 'sub/all/passwd'])).stdout).toBe('root:x:0:0\n')
    expect((await s.run(['cat', 'models/m', '--path', 'same-config.json'])).stdout).toBe('{}')
    expect((await s.run(['put', '--help'])).stdout).toMatch(/--follow-links/)
  })

  it('refuses a link cycle, with --follow-links too, and names a FIFO instead of skipping it', async () => {
    await mkdir(s.path('loop', 'sub'), { recursive: true })
    await writeFile(s.path('loop', 'a.txt'), 'a')
    await symlink('..', s.path('loop', 'sub', 'back'))
    for (const extra of [[], ['--follow-links']]) {
      const result = await s.run(['put', 'fold/loop', 'loop', ...extra])
      expectFailure(result, 'INVALID_INPUT')
      expect(result.stderr).toContain('(a cycle): sub/back')
    }
    await mkdir(s.path('piped'))
    execFileSync('mkfifo', [s.path('piped', 'pipe')])
    const fifo = await s.run(['put', 'fold/piped', 'piped'])
    expectFailure(fifo, 'INVALID_INPUT')
    expect(fifo.stderr).toContain('pipe (a FIFO)')
  })
})

describe('cat --path', () => {
  it('is refused on a file asset instead of ignored', async () => {
    const result = await s.run(['cat', 'file/one', '--path', 'x'])
    expectFailure(result, 'INVALID_INPUT')
    expect(result.stderr).toContain('file/one@1.0.0 is a file')
  })
})
