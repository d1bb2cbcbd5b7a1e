import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { temporaryFolder } from '@assets/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { createLocalStorage } from '../src/index.js'

let sandbox = ''

afterEach(async () => {
  if (sandbox !== '') await rm(sandbox, { recursive: true, force: true })
  sandbox = ''
})

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text)
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777

describe('file modes', () => {
  it('a private store (the default) creates its folders 0700 and its objects 0600', async () => {
    sandbox = await temporaryFolder('storage-local-modes')
    const root = join(sandbox, 'home', 'storage')
    const storage = createLocalStorage({ path: root })
    await storage.upload('blobs/sha256/ab/abcdef', bytes('private bytes'))
    expect(await modeOf(join(sandbox, 'home'))).toBe(0o700)
    expect(await modeOf(root)).toBe(0o700)
    expect(await modeOf(join(root, 'blobs', 'sha256', 'ab', 'abcdef'))).toBe(0o600)
    await storage.move('blobs/sha256/ab/abcdef', 'blobs/sha256/ab/moved')
    expect(await modeOf(join(root, 'blobs', 'sha256', 'ab', 'moved'))).toBe(0o600)
  })

  it('a shared store leaves the modes to the umask, so a group can be given access', async () => {
    sandbox = await temporaryFolder('storage-local-modes')
    const root = join(sandbox, 'team')
    const storage = createLocalStorage({ path: root, shared: true })
    await storage.upload('objects/one', bytes('team bytes'))
    const umask = process.umask()
    expect(await modeOf(root)).toBe(0o777 & ~umask)
    expect(await modeOf(join(root, 'objects', 'one'))).toBe(0o666 & ~umask)
    expect(await readdir(join(root, 'objects'))).toEqual(['one'])
  })
})
