import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { createLocalCache } from '../src/index.js'

let sandbox = ''

afterEach(async () => {
  if (sandbox !== '') await rm(sandbox, { recursive: true, force: true })
  sandbox = ''
})

const modeOf = async (path: string) => (await stat(path)).mode & 0o777

describe('file modes', () => {
  it('a private cache (the default) creates its root 0700 and seals entry files 0400', async () => {
    sandbox = await temporaryFolder('cache-local-modes')
    const root = join(sandbox, 'home', 'cache')
    const cache = createLocalCache({ path: root })
    const key = sha256('private bytes')
    const lock = await cache.lock(key)
    await writeFile(cache.stagingPath(key), 'private bytes')
    const file = await cache.set(key, cache.stagingPath(key))
    const folder = join(sandbox, 'folder')
    await mkdir(join(folder, 'x'), { recursive: true })
    await writeFile(join(folder, 'x', 'chunk'), 'c')
    const inFolder = await cache.set('folder-key', folder)
    await lock.release()
    await cache.close()
    expect(await modeOf(join(sandbox, 'home'))).toBe(0o700)
    expect(await modeOf(root)).toBe(0o700)
    expect(await modeOf(file)).toBe(0o400)
    expect(await modeOf(join(inFolder, 'x', 'chunk'))).toBe(0o400)
  })

  it('a shared cache leaves folders to the umask and seals entry files 0444', async () => {
    sandbox = await temporaryFolder('cache-local-modes')
    const root = join(sandbox, 'team-cache')
    const cache = createLocalCache({ path: root, shared: true })
    const key = sha256('team bytes')
    await writeFile(cache.stagingPath(key), 'team bytes')
    const file = await cache.set(key, cache.stagingPath(key))
    await cache.close()
    expect(await modeOf(root)).toBe(0o777 & ~process.umask())
    expect(await modeOf(file)).toBe(0o444)
  })
})
