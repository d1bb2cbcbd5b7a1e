import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Actor, BaseAssetManager } from '@assets/core'
import type { TestAPI } from 'vitest'
import { randomKey, temporaryFolder } from './fixtures.js'

export interface ManagerSuiteContext {
  it: TestAPI
  create: (actor: Actor) => BaseAssetManager | Promise<BaseAssetManager>
  prefix: string
  /** The stack has a cache: its corruption tests apply. */
  withCache: boolean
}

export interface Session {
  /** Acting as a fresh user who owns what they put. */
  manager: BaseAssetManager
  /** A user with the admin role. */
  admin: BaseAssetManager
  /** Keys under one random prefix, so that tests on a shared backend never meet. */
  key(name?: string): string
  prefix: string
  /** Another user with no grants. */
  stranger(extra?: Partial<Actor>): BaseAssetManager
  file(bytes: Uint8Array | string, name?: string): Promise<string>
  folder(files: Record<string, Uint8Array | string>, name?: string): Promise<string>
}

export function uniqueUser(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`
}

/** Runs `body` with a fresh stack and closes it afterwards, whatever happens. */
export async function withSession(ctx: ManagerSuiteContext, body: (s: Session) => Promise<void>): Promise<void> {
  const manager = await ctx.create({ user: uniqueUser('alice') })
  const dir = await temporaryFolder('assets-manager-suite')
  const prefix = randomKey('mgr')
  let n = 0
  const session: Session = {
    manager,
    admin: manager.as({ user: uniqueUser('root'), roles: ['admin'] }),
    prefix,
    key: (name = 'asset') => `${prefix}/${name}`,
    stranger: (extra = {}) => manager.as({ user: uniqueUser('bob'), ...extra }),
    async file(bytes, name) {
      const path = join(dir, name ?? `file-${n++}.bin`)
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, bytes)
      return path
    },
    async folder(files, name) {
      const root = join(dir, name ?? `folder-${n++}`)
      for (const [rel, bytes] of Object.entries(files)) {
        await mkdir(dirname(join(root, rel)), { recursive: true })
        await writeFile(join(root, rel), bytes)
      }
      return root
    },
  }
  try {
    await body(session)
  } finally {
    await manager.close()
  }
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of source) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks)
}

/** What a test reads off a failure: core's errors carry a code, validation errors their issues. */
export type Rejection = Error & { code?: string; issues?: Array<{ code: string; path: string; message: string }> }

/** Resolves to the error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Rejection> {
  try {
    await promise
  } catch (error) {
    return error as Rejection
  }
  throw new Error('expected the call to fail, but it succeeded')
}
