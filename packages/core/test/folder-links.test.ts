import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { folderDigest } from '../src/index.js'

// folderDigest walks a folder exactly as a put does (the same listing), without a stack.
let root: string
let servers: Server[]
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'folder-links-'))
  servers = []
})
afterEach(async () => {
  for (const server of servers) server.close()
  await rm(root, { recursive: true, force: true })
})

async function files(folder: string, contents: Record<string, string>): Promise<string> {
  for (const [path, text] of Object.entries(contents)) {
    await mkdir(dirname(join(folder, path)), { recursive: true })
    await writeFile(join(folder, path), text)
  }
  return folder
}

async function refusal(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise
  } catch (error) {
    return error as { code?: string; message: string }
  }
  throw new Error('expected the folder to be refused')
}

describe('links and special files in a folder asset', () => {
  it('refuses every link that leads out of the folder, each named relative to the folder', async () => {
    const secret = await files(join(root, 'outside'), { 'passwd': 'root:x:0:0' })
    const folder = await files(join(root, 'folder'), { 'a.txt': 'a', 'sub/b.txt': 'b' })
    await symlink(join(secret, 'passwd'), join(folder, 'pw'))
    await symlink('..', join(folder, 'up'))
    await symlink('../../outside', join(folder, 'sub', 'elsewhere'))
    const error = await refusal(folderDigest(folder))
    expect(error.code).toBe('INVALID_INPUT')
    expect(error.message).toContain(`pw -> ${JSON.stringify(join(secret, 'passwd'))}`)
    expect(error.message).toContain('up -> ".."')
    expect(error.message).toContain('sub/elsewhere -> "../../outside"')
    expect(error.message).toMatch(/followLinks/)
  })

  it('stores a link that stays inside the folder as the file or folder it points to', async () => {
    const folder = await files(join(root, 'folder'), { 'a.txt': 'a', 'sub/b.txt': 'b' })
    await symlink('a.txt', join(folder, 'same-as-a'))
    await symlink('sub', join(folder, 'alias'))
    const copy = await files(join(root, 'copy'), { 'a.txt': 'a', 'sub/b.txt': 'b', 'same-as-a': 'a', 'alias/b.txt': 'b' })
    expect(await folderDigest(folder)).toBe(await folderDigest(copy))
  })

  it('with followLinks stores what a link out of the folder points to, as a copy of it would be', async () => {
    const models = await files(join(root, 'hub', 'blobs'), { 'w1': 'weights' })
    const folder = await files(join(root, 'folder'), { 'config.json': '{}' })
    await symlink(join(models, 'w1'), join(folder, 'model.bin'))
    await symlink(models, join(folder, 'blobs'))
    const copy = await files(join(root, 'copy'), { 'config.json': '{}', 'model.bin': 'weights', 'blobs/w1': 'weights' })
    expect(await folderDigest(folder, { followLinks: true })).toBe(await folderDigest(copy))
  })

  it('refuses a link cycle instead of walking it forever, with followLinks too', async () => {
    const folder = await files(join(root, 'folder'), { 'a.txt': 'a', 'sub/b.txt': 'b' })
    await symlink('..', join(folder, 'sub', 'back'))
    await symlink('.', join(folder, 'self'))
    const inside = await refusal(folderDigest(folder))
    expect(inside.code).toBe('INVALID_INPUT')
    expect(inside.message).toMatch(/cycle\): self, sub\/back$/)
    await symlink('..', join(folder, 'up'))
    const followed = await refusal(folderDigest(folder, { followLinks: true }))
    expect(followed.code).toBe('INVALID_INPUT')
    // Following `up` reaches the folder itself again from its parent: that is a cycle too.
    expect(followed.message).toMatch(/cycle\): self, sub\/back, up\/folder$/)
  })

  it('names FIFOs, sockets and broken links instead of skipping them', async () => {
    const folder = await files(join(root, 'folder'), { 'a.txt': 'a' })
    execFileSync('mkfifo', [join(folder, 'pipe')])
    const server = createServer()
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(join(folder, 'sock'), resolve))
    await symlink('missing', join(folder, 'dangling'))
    const error = await refusal(folderDigest(folder))
    expect(error.code).toBe('INVALID_INPUT')
    expect(error.message).toContain('broken links: dangling -> "missing"')
    expect(error.message).toContain('not regular files: pipe (a FIFO), sock (a socket)')
  })
})
