import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFailure, Sandbox } from './fixtures/cli.js'

interface Created {
  token: string
  id: string
  user: string
  groups: string[]
  roles: string[]
  expiresAt: string | null
  description?: string
}

interface Listed {
  id: string
  user: string
  groups: string[]
  roles: string[]
  createdBy: string
  createdAt: string
  expiresAt?: string
  revokedAt?: string
  revokedBy?: string
  description?: string
}

let s: Sandbox

beforeAll(async () => {
  s = await Sandbox.create('tokens')
})
afterAll(() => s.cleanup())

describe('assets token', () => {
  it('create prints the token once; ls shows it without secret or hash; revoke marks it revoked', async () => {
    const before = Date.now()
    const created = await s.json<Created>(['token', 'create', '--user', 'alice', '--groups', 'lab, x', '--roles', 'curator', '--expires', '30d', '--description', 'ci runner'])
    expect(created.token).toMatch(/^assets_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    expect(created).toMatchObject({ id: created.token.slice(7, 23), user: 'alice', groups: ['lab', 'x'], roles: ['curator'], description: 'ci runner' })
    const lifetime = Date.parse(created.expiresAt ?? '') - before
    expect(lifetime).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000)
    expect(lifetime).toBeLessThanOrEqual(30 * 86_400_000 + 60_000)

    // Without --json stdout is the token alone, so that it can be piped; the note goes to stderr.
    const plain = await s.run(['token', 'create', '--user', 'bob'])
    expect(plain.code).toBe(0)
    expect(plain.stdout).toMatch(/^assets_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/)
    expect(plain.stderr).toMatch(/never expires.*not shown again/)
    const bobId = plain.stdout.slice(7, 23)

    const secret = created.token.slice(24)
    const hash = createHash('sha256').update(secret).digest('hex')
    const listedJson = await s.run(['token', 'ls', '--json'])
    const listedText = await s.run(['token', 'ls'])
    for (const out of [listedJson.stdout, listedText.stdout]) {
      expect(out).toContain(created.id)
      expect(out).not.toContain(secret)
      expect(out).not.toContain(hash)
    }
    const { tokens } = JSON.parse(listedJson.stdout) as { tokens: Listed[] }
    expect(tokens.map((t) => t.id)).toEqual([bobId, created.id])
    expect(tokens[1]).toMatchObject({ user: 'alice', groups: ['lab', 'x'], roles: ['curator'], expiresAt: created.expiresAt, description: 'ci runner' })
    expect(tokens[1]?.createdBy).toMatch(/^user:/)
    expect(tokens[1]?.revokedAt).toBeUndefined()
    expect(listedText.stdout).toMatch(new RegExp(`${created.id}\\s+alice\\s+lab,x\\s+curator\\s.*active\\s+ci runner`))

    const revoked = await s.json<{ id: string; revoked: boolean }>(['token', 'revoke', created.id])
    expect(revoked).toEqual({ id: created.id, revoked: true })
    const after = (await s.json<{ tokens: Listed[] }>(['token', 'ls'])).tokens
    expect(after.find((t) => t.id === created.id)).toMatchObject({ revokedAt: expect.any(String), revokedBy: tokens[1]?.createdBy })
    expect(after.find((t) => t.id === bobId)?.revokedAt).toBeUndefined()
    expect((await s.run(['token', 'ls'])).stdout).toMatch(new RegExp(`${created.id}.*revoked `))

    // Creation and revocation are in the audit trail, by id and user, never with the hash.
    const audit = await s.json<{ entries: Array<{ action: string; details?: Record<string, unknown> }> }>(['audit'])
    const mine = audit.entries.filter((e) => e.details?.id === created.id).map((e) => [e.action, e.details])
    expect(mine).toEqual([
      ['token-revoke', { id: created.id, user: 'alice' }],
      ['token-create', { id: created.id, user: 'alice' }],
    ])
    // Nowhere in the database file is the secret itself.
    expect(readFileSync(join(s.home, 'registry.db')).includes(Buffer.from(secret))).toBe(false)
  })

  it('a user without the admin role may not create, list or revoke tokens', async () => {
    const { id } = await s.json<Created>(['token', 'create', '--user', 'carol'])
    expectFailure(await s.run(['token', 'create', '--user', 'mallory', '--roles', 'admin', '--as', 'mallory']), 'ACCESS_DENIED')
    expectFailure(await s.run(['token', 'ls', '--as', 'mallory']), 'ACCESS_DENIED')
    expectFailure(await s.run(['token', 'revoke', id, '--as', 'mallory']), 'ACCESS_DENIED')
    const { tokens } = await s.json<{ tokens: Listed[] }>(['token', 'ls'])
    expect(tokens.some((t) => t.user === 'mallory')).toBe(false)
    expect(tokens.find((t) => t.id === id)?.revokedAt).toBeUndefined()
  })

  it('a bad --expires, a missing --user and bad names are refused, and nothing is created', async () => {
    const count = async () => (await s.json<{ tokens: Listed[] }>(['token', 'ls'])).tokens.length
    const before = await count()
    for (const expires of ['2w', '0d', '30', 'soon', '-1h', '99999d']) {
      const r = await s.run(['token', 'create', '--user', 'dave', '--expires', expires])
      expect(r.code, expires).toBe(2)
      expect(r.stderr).toMatch(/^error USAGE: [^\n]*--expires/)
    }
    expect((await s.run(['token', 'create'])).stderr).toMatch(/^error USAGE: token create needs --user/)
    expectFailure(await s.run(['token', 'create', '--user', 'bad name']), 'INVALID_INPUT')
    expectFailure(await s.run(['token', 'create', '--user', 'dave', '--groups', 'ok,not ok']), 'INVALID_INPUT')
    expectFailure(await s.run(['token', 'revoke', 'not-an-id']), 'INVALID_INPUT')
    expectFailure(await s.run(['token', 'revoke', '0123456789abcdef']), 'ASSET_NOT_FOUND')
    expect(await count()).toBe(before)
  })
})
