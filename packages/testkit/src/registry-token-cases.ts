import { setTimeout as sleep } from 'node:timers/promises'
import { type AuditEntry, mintApiToken, type NewApiToken, type Registry, type TokenStore } from '@assets/core'
import type { ExpectStatic } from 'vitest'
import type { Define } from './registry-case.js'
import { rejection } from './registry-case.js'

const ADMIN = { actor: 'user:token-admin' }

function newToken(overrides: Partial<NewApiToken> = {}): NewApiToken & { token: string } {
  const { token, id, hash } = mintApiToken()
  return { token, id, hash, user: 'alice', groups: ['lab'], roles: [], ...overrides }
}

function storeOf(registry: Registry, expect: ExpectStatic): TokenStore {
  expect(registry.tokens, 'this registry keeps API tokens (registrySuite was given tokens: true)').toBeDefined()
  return registry.tokens as TokenStore
}

/** Audit rows of token actions about one token id (token rows have no key, so they are found by details). */
async function tokenAudit(registry: Registry, id: string): Promise<AuditEntry[]> {
  const rows = [...(await registry.audit({ action: 'token-create', limit: 1000 })), ...(await registry.audit({ action: 'token-revoke', limit: 1000 }))]
  return rows.filter((e) => e.details?.id === id).sort((a, b) => b.id - a.id)
}

/** The optional TokenStore capability (`Registry.tokens`) the asset server keeps its API tokens in. */
export function apiTokens(test: Define): void {
  test('tokens: a created token is found with its hash, listed without it, and audited without it', async ({ registry, expect }) => {
    const tokens = storeOf(registry, expect)
    const input = newToken({ groups: ['lab', 'x'], roles: ['curator'], description: 'ci runner', expiresAt: '2099-01-01T00:00:00Z' })
    const before = Date.now()
    const created = await tokens.createToken(input, ADMIN)
    expect(created).toEqual({
      id: input.id,
      user: 'alice',
      groups: ['lab', 'x'],
      roles: ['curator'],
      description: 'ci runner',
      createdBy: ADMIN.actor,
      createdAt: expect.any(String),
      expiresAt: '2099-01-01T00:00:00.000Z',
    })
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(await tokens.findToken(input.id)).toEqual({ ...created, hash: input.hash })
    const listed = (await tokens.listTokens()).find((t) => t.id === input.id)
    expect(listed).toEqual(created)
    expect(JSON.stringify(await tokens.listTokens())).not.toContain(input.hash)
    const audit = await tokenAudit(registry, input.id)
    expect(audit.map((e) => [e.action, e.actor, e.key, e.details])).toEqual([['token-create', ADMIN.actor, undefined, { id: input.id, user: 'alice' }]])
    expect(JSON.stringify(audit)).not.toContain(input.hash)
    expect(await tokens.findToken(newToken().id)).toBeNull()
  })

  test('tokens: listed newest first', async ({ registry, expect }) => {
    const tokens = storeOf(registry, expect)
    const first = newToken({ user: 'list-first' })
    const second = newToken({ user: 'list-second' })
    await tokens.createToken(first, ADMIN)
    // Creation times are milliseconds: apart, so that the order is by time, not by the tie-break.
    await sleep(15)
    await tokens.createToken(second, ADMIN)
    const ids = (await tokens.listTokens()).map((t) => t.id)
    expect(ids.indexOf(second.id)).toBeGreaterThanOrEqual(0)
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id))
    const listed = await tokens.listTokens()
    for (let i = 1; i < listed.length; i++) expect((listed[i - 1] as { createdAt: string }).createdAt >= (listed[i] as { createdAt: string }).createdAt).toBe(true)
  })

  test('tokens: revoking twice keeps the first revocation and audits once; an unknown id is false', async ({ registry, expect }) => {
    const tokens = storeOf(registry, expect)
    const input = newToken()
    await tokens.createToken(input, ADMIN)
    expect(await tokens.revokeToken(input.id, { actor: 'user:first-revoker' })).toBe(true)
    const once = await tokens.findToken(input.id)
    expect(once).toMatchObject({ id: input.id, revokedBy: 'user:first-revoker', revokedAt: expect.any(String) })
    await sleep(5)
    expect(await tokens.revokeToken(input.id, { actor: 'user:second-revoker' })).toBe(true)
    expect(await tokens.findToken(input.id)).toEqual(once)
    expect((await tokens.listTokens()).find((t) => t.id === input.id)).toMatchObject({ revokedBy: 'user:first-revoker', revokedAt: once?.revokedAt })
    const audit = await tokenAudit(registry, input.id)
    expect(audit.map((e) => [e.action, e.actor, e.details])).toEqual([
      ['token-revoke', 'user:first-revoker', { id: input.id, user: 'alice' }],
      ['token-create', ADMIN.actor, { id: input.id, user: 'alice' }],
    ])
    expect(await tokens.revokeToken(newToken().id, ADMIN)).toBe(false)
  })

  test('tokens: invalid input is refused with INVALID_INPUT and stores nothing', async ({ registry, expect }) => {
    const tokens = storeOf(registry, expect)
    const bad: Array<Partial<NewApiToken>> = [
      { id: 'ABCDEF0123456789' },
      { id: 'abc' },
      { id: "0123456789abcde'" },
      { hash: 'f'.repeat(63) },
      { hash: 'F'.repeat(64) },
      { user: 'bad name' },
      { user: '' },
      { groups: ['lab', 'no spaces'] },
      { roles: ['role:admin'] },
      { roles: 'admin' as unknown as string[] },
      { description: 'nul \u0000 inside' },
      { expiresAt: 'someday' },
    ]
    for (const overrides of bad) {
      const input = newToken(overrides)
      await rejection(expect, tokens.createToken(input, ADMIN), 'INVALID_INPUT')
      if (/^[0-9a-f]{16}$/.test(input.id)) expect(await tokens.findToken(input.id), JSON.stringify(overrides)).toBeNull()
    }
    await rejection(expect, tokens.createToken(newToken(), { actor: '' }), 'INVALID_INPUT')
    const taken = newToken()
    await tokens.createToken(taken, ADMIN)
    await rejection(expect, tokens.createToken({ ...newToken(), id: taken.id }, ADMIN), 'INVALID_INPUT')
    expect((await tokens.findToken(taken.id))?.hash).toBe(taken.hash)
    await rejection(expect, tokens.revokeToken('not-an-id', ADMIN), 'INVALID_INPUT')
    expect(await tokens.findToken('not-an-id')).toBeNull()
    expect(await tokens.findToken("' OR 1=1 --")).toBeNull()
  })

  test('tokens: another registry on the same database sees a token, and its revocation, at once', async ({ registry, another, expect }) => {
    const tokens = storeOf(registry, expect)
    const other = storeOf(await another(), expect)
    const input = newToken({ user: 'worker-two' })
    await tokens.createToken(input, ADMIN)
    expect(await other.findToken(input.id)).toMatchObject({ id: input.id, user: 'worker-two', hash: input.hash })
    expect(await other.revokeToken(input.id, ADMIN)).toBe(true)
    expect((await tokens.findToken(input.id))?.revokedAt).toEqual(expect.any(String))
  })
}
