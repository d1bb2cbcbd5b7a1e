import { writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFailure, describeUnlessLocalOnly, Sandbox } from './fixtures/cli.js'

let s: Sandbox
const CONFIG = 'users:\n  carol:\n    groups: [lab]\n  root-like:\n    roles: [admin]\n'

beforeAll(async () => {
  s = await Sandbox.create('acl')
  await writeFile(s.path('secret.txt'), 'alice only\n')
  await writeFile(s.path('open.txt'), 'for everyone\n')
  await writeFile(s.path('config.yaml'), CONFIG)
})
afterAll(() => s.cleanup())

interface Acl {
  owner: string
  read: string[]
  write: string[]
  admin: string[]
}

describe('identity', () => {
  it('--as names the actor recorded on a put; the OS user is the default', async () => {
    const mine = await s.json<{ createdBy: string }>(['put', 'notes/open', 'open.txt'])
    expect(mine.createdBy).toBe(`user:${userInfo().username}`)
    const alices = await s.json<{ createdBy: string; accessControl: Acl }>(['--as', 'alice', 'put', 'notes/secret', 'secret.txt', '--private'])
    expect(alices.createdBy).toBe('user:alice')
    expect(alices.accessControl).toEqual({ owner: 'user:alice', read: [], write: [], admin: [] })
  })

  it('ASSETS_USER names the actor when --as is absent, and --as wins over it', async () => {
    const shown = await s.json<{ actor: { user: string } }>(['config', 'show'], { env: { ASSETS_USER: 'bob' } })
    expect(shown.actor.user).toBe('bob')
    const both = await s.json<{ actor: { user: string } }>(['config', 'show', '--as', 'alice'], { env: { ASSETS_USER: 'bob' } })
    expect(both.actor.user).toBe('alice')
  })

  it('groups and roles come from the config for the user acted as', async () => {
    const carol = await s.json<{ actor: unknown }>(['config', 'show', '--as', 'carol', '--config', 'config.yaml'])
    expect(carol.actor).toEqual({ user: 'carol', groups: ['lab'], roles: [] })
  })
})

describe('access control', () => {
  it('to another user a private asset does not exist: exit 1, ASSET_NOT_FOUND, no stack trace', async () => {
    expectFailure(await s.run(['get', 'notes/secret', '--as', 'bob']), 'ASSET_NOT_FOUND')
    expectFailure(await s.run(['cat', 'notes/secret', '--as', 'bob']), 'ASSET_NOT_FOUND')
    expectFailure(await s.run(['info', 'notes/secret'], { env: { ASSETS_USER: 'bob' } }), 'ASSET_NOT_FOUND')
    expectFailure(await s.run(['versions', 'notes/secret', '--as', 'bob']), 'ASSET_NOT_FOUND')
    const alice = await s.run(['cat', 'notes/secret', '--as', 'alice'])
    expect(alice.stdout).toBe('alice only\n')
  })

  it('find leaves out what the actor may not read', async () => {
    const bobs = await s.json<{ items: Array<{ key: string }> }>(['find', '--as', 'bob'])
    expect(bobs.items.map((i) => i.key)).toEqual(['notes/open'])
    const alices = await s.json<{ items: Array<{ key: string }> }>(['find', '--as', 'alice', '--sort', 'key'])
    expect(alices.items.map((i) => i.key)).toEqual(['notes/open', 'notes/secret'])
  })

  it('acl show, grant and revoke change who may read', async () => {
    const shown = await s.json<{ key: string; version: string; accessControl: Acl }>(['acl', 'show', 'notes/secret', '--as', 'alice'])
    expect(shown).toEqual({ key: 'notes/secret', version: '1.0.0', accessControl: { owner: 'user:alice', read: [], write: [], admin: [] } })

    const granted = await s.json<{ accessControl: Acl; version: string | null }>(['acl', 'grant', 'notes/secret', 'read', 'bob', '--as', 'alice'])
    expect(granted.version).toBeNull()
    expect(granted.accessControl.read).toEqual(['user:bob'])
    expect((await s.run(['cat', 'notes/secret', '--as', 'bob'])).stdout).toBe('alice only\n')

    const revoked = await s.run(['acl', 'revoke', 'notes/secret', 'read', 'user:bob', '--as', 'alice'])
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toBe('revoked read from user:bob on notes/secret\n')
    expectFailure(await s.run(['cat', 'notes/secret', '--as', 'bob']), 'ASSET_NOT_FOUND')
  })

  it('a group granted in the ACL admits the users the config puts in it', async () => {
    await s.json(['acl', 'grant', 'notes/secret', 'read', 'group:lab', '--as', 'alice', '--version', '1.0.0'])
    expect((await s.run(['cat', 'notes/secret', '--as', 'carol', '--config', 'config.yaml'])).code).toBe(0)
    expectFailure(await s.run(['cat', 'notes/secret', '--as', 'dave', '--config', 'config.yaml']), 'ASSET_NOT_FOUND')
  })

  it('write and admin actions are denied to readers, and gc to users without the admin role', async () => {
    await s.json(['acl', 'grant', 'notes/secret', 'read', 'bob', '--as', 'alice'])
    expectFailure(await s.run(['tag', 'notes/secret', 'gold', '--as', 'bob']), 'ACCESS_DENIED')
    expectFailure(await s.run(['annotate', 'notes/secret', 'hi', '--as', 'bob']), 'ACCESS_DENIED')
    expectFailure(await s.run(['rm', 'notes/secret@1.0.0', '--as', 'bob']), 'ACCESS_DENIED')
    expectFailure(await s.run(['acl', 'grant', 'notes/secret', 'read', '*', '--as', 'bob']), 'ACCESS_DENIED')
    expectFailure(await s.run(['put', 'notes/secret', 'open.txt', '--as', 'bob']), 'ACCESS_DENIED')
    expectFailure(await s.run(['audit', 'notes/secret', '--as', 'bob']), 'ACCESS_DENIED')
    expectFailure(await s.run(['gc', '--dry-run', '--as', 'bob']), 'ACCESS_DENIED')
    expectFailure(await s.run(['audit', '--as', 'alice']), 'ACCESS_DENIED')
    // The admin role from the config may do what the owner may.
    expect((await s.run(['gc', '--dry-run', '--as', 'root-like', '--config', 'config.yaml'])).code).toBe(0)
    expect((await s.run(['audit', 'notes/secret', '--as', 'alice'])).code).toBe(0)
  })

  it('--debug adds the stack trace to a typed error', async () => {
    const r = await s.run(['get', 'notes/secret', '--as', 'eve', '--debug'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error ASSET_NOT_FOUND: /)
    expect(r.stderr).toMatch(/\n\s+at .*base-asset-manager/)
  })

  it('with --json a typed error is one JSON object on stderr and stdout stays empty', async () => {
    const r = await s.run(['get', 'notes/secret', '--as', 'eve', '--json'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    const doc = JSON.parse(r.stderr) as { error: Record<string, unknown> }
    expect(Object.keys(doc.error).sort()).toEqual(['code', 'message'])
    expect(doc.error.code).toBe('ASSET_NOT_FOUND')
    const debug = JSON.parse((await s.run(['get', 'notes/secret', '--as', 'eve', '--json', '--debug'])).stderr) as { error: { stack: string } }
    expect(debug.error.stack).toMatch(/\n\s+at /)
  })
})

// Local only (see LOCAL_ONLY in vitest.config.ts): not registered in the run through a server.
describeUnlessLocalOnly('the --as claim itself', () => {
  it('an invalid user name is a typed error', async () => {
    expectFailure(await s.run(['get', 'notes/open', '--as', 'bad name']), 'INVALID_INPUT')
  })
})
