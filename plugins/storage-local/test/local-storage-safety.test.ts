import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AssetError, type Storage, sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { Value } from '@assets/core'
import { afterEach, describe, expect, it } from 'vitest'
import plugin, { createLocalStorage } from '../src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
let sandbox = ''

afterEach(async () => {
  if (sandbox !== '') await rm(sandbox, { recursive: true, force: true })
  sandbox = ''
})

async function storeInSandbox(): Promise<{ storage: Storage; root: string }> {
  sandbox = await temporaryFolder('storage-local-safety')
  const root = join(sandbox, 'root')
  return { storage: createLocalStorage({ path: root }), root }
}

async function codeOf(action: () => unknown): Promise<string> {
  try {
    await action()
  } catch (error) {
    return AssetError.isInstance(error) ? error.code : String(error)
  }
  return 'succeeded'
}

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text)
}

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable);
}

describe('locations that could leave the root', () => {
  const escapes = ['../escape', 'a/../../escape', '/tmp/escape', 'a\\..\\escape', 'a\u0000b', 'a//b', 'a/', '', '.', '..', './a', 'a/./b', 'line\nbreak']

  it.each(escapes)('refuses %j for every operation', async (location) => {
    const { storage, root } = await storeInSandbox()
    await mkdir(root, { recursive: true })
    await writeFile(join(root, 'inside'), 'x')
    expect(await codeOf(() => storage.upload(location, bytes('x')))).toBe('INVALID_KEY')
    expect(await codeOf(() => storage.download(location, join(sandbox, 'out')))).toBe('INVALID_KEY')
    expect(await codeOf(() => drain(storage.open(location)))).toBe('INVALID_KEY')
    expect(await codeOf(() => storage.stat(location))).toBe('INVALID_KEY')
    expect(await codeOf(() => storage.delete(location))).toBe('INVALID_KEY')
    expect(await codeOf(() => storage.move?.('inside', location))).toBe('INVALID_KEY')
    expect(await codeOf(() => storage.move?.(location, 'elsewhere'))).toBe('INVALID_KEY')
    expect(existsSync(join(sandbox, 'escape'))).toBe(false)
    expect(existsSync(join(root, 'inside'))).toBe(true)
  })

  it('refuses list prefixes that climb out, but accepts the empty prefix and a trailing slash', async () => {
    const { storage } = await storeInSandbox()
    await storage.upload('a/b', bytes('x'))
    for (const prefix of ['../', '/', '/etc', 'a/../..', 'a//', 'a\\b']) {
      expect(await codeOf(() => drain(storage.list(prefix)))).toBe('INVALID_KEY')
    }
    const all: string[] = []
    for await (const info of storage.list('')) all.push(info.location)
    expect(all).toEqual(['a/b'])
    expect(await codeOf(() => drain(storage.list('a/')))).toBe('succeeded')
  })
})

describe('crash safety', () => {
  it('a process killed in the middle of an upload leaves no object, only a listed temporary file for gc', async () => {
    const { storage, root } = await storeInSandbox()
    const child = spawn(process.execPath, [join(here, 'fixtures', 'upload-until-killed.mjs'), root, 'data/object.bin'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = once(child, 'exit')
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('writing')) resolve()
      })
      child.on('exit', (code) => reject(new Error(`fixture exited early with ${code}`)))
    })
    child.kill('SIGKILL')
    await exited

    const left = await readdir(join(root, 'data'))
    expect(left).toHaveLength(1)
    expect(left[0]).toMatch(/^object\.bin\.tmp-\d+-[0-9a-f]{12}$/)
    expect((await stat(join(root, 'data', left[0] ?? ''))).size).toBeGreaterThan(0)
    expect(await storage.stat('data/object.bin')).toBeNull()
    expect(await codeOf(() => drain(storage.open('data/object.bin')))).toBe('ASSET_NOT_FOUND')
    const listed: string[] = []
    for await (const info of storage.list('')) listed.push(info.location)
    expect(listed).toEqual([`data/${left[0]}`])

    await storage.upload('data/object.bin', bytes('complete'))
    expect((await storage.stat('data/object.bin'))?.size).toBe('complete'.length)
  })

  it('an aborted or refused upload removes its temporary file', async () => {
    const { storage, root } = await storeInSandbox()
    const controller = new AbortController()
    async function* abortMidway(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(100_000)
      controller.abort()
      await new Promise((resolve) => setTimeout(resolve, 10))
      yield new Uint8Array(100_000)
    }
    expect(await codeOf(() => storage.upload('d/aborted', abortMidway(), { signal: controller.signal }))).toMatch(/AbortError/)
    expect(await codeOf(() => storage.upload('d/refused', bytes('abc'), { digest: sha256('xyz') }))).toBe('INTEGRITY_ERROR')
    expect(await readdir(join(root, 'd'))).toEqual([])
  })

  it('lists the temporary files of uploads so that gc can remove abandoned ones', async () => {
    const { storage, root } = await storeInSandbox()
    await storage.upload('notes.tmp-draft', bytes('kept'))
    await writeFile(join(root, 'object.tmp-4242-0123456789ab'), 'abandoned')
    const listed: string[] = []
    for await (const info of storage.list('')) listed.push(info.location)
    expect(listed).toEqual(['notes.tmp-draft', 'object.tmp-4242-0123456789ab'])
    await storage.delete('object.tmp-4242-0123456789ab')
    expect(await readdir(root)).toEqual(['notes.tmp-draft'])
  })
})

describe('the plugin', () => {
  it('is a storage plugin named local whose options need a path', () => {
    expect(plugin).toMatchObject({ kind: 'storage', name: 'local', specificationVersion: 1 })
    expect(Value.Check(plugin.options, { path: '/srv/assets' })).toBe(true)
    expect(Value.Check(plugin.options, {})).toBe(false)
    expect(Value.Check(plugin.options, { path: '' })).toBe(false)
  })

  it('creating a store touches nothing; the root appears with the first write', async () => {
    sandbox = await temporaryFolder('storage-local-safety')
    const root = join(sandbox, 'not', 'yet')
    const storage = plugin.create({ path: root }, {
      dataDir: sandbox,
      cacheDir: sandbox,
      allowInsecureStorage: false,
      logger: { warn: () => {} },
      env: {},
    })
    expect(storage.capabilities).toMatchObject({ write: true, atomicMove: true, multipart: false, presign: false })
    expect(existsSync(root)).toBe(false)
    expect(await storage.stat('a')).toBeNull()
    await drain(storage.list(''))
    expect(existsSync(root)).toBe(false)
    await storage.upload('a', bytes('x'))
    expect(existsSync(join(root, 'a'))).toBe(true)
  })

  it('refuses to write an object beneath another object', async () => {
    const { storage } = await storeInSandbox()
    await storage.upload('a', bytes('x'))
    expect(await codeOf(() => storage.upload('a/b', bytes('y')))).toBe('INVALID_INPUT')
    expect((await storage.stat('a'))?.size).toBe(1)
  })
})
