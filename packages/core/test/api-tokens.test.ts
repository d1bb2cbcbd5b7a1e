import { describe, expect, it } from 'vitest'
import {
  type ApiToken,
  authenticateToken,
  hasErrorCode,
  hashTokenSecret,
  mintApiToken,
  type NewApiToken,
  parseApiToken,
  parseDuration,
  type TokenStore,
} from '../src/index.js'

// A complete TokenStore over a Map: the contract as the SQL registries implement it, minus SQL.
class MapTokenStore implements TokenStore {
  readonly rows = new Map<string, ApiToken & { hash: string }>()
  async createToken(token: NewApiToken, context: { actor: string }): Promise<ApiToken> {
    const row = { ...token, createdBy: context.actor, createdAt: new Date().toISOString() }
    this.rows.set(token.id, row)
    const { hash: _hash, ...shown } = row
    return shown
  }
  async findToken(id: string) {
    return this.rows.get(id) ?? null
  }
  async listTokens(): Promise<ApiToken[]> {
    return [...this.rows.values()].map(({ hash: _hash, ...t }) => t)
  }
  async revokeToken(id: string, context: { actor: string }): Promise<boolean> {
    const row = this.rows.get(id)
    if (!row) return false
    row.revokedAt ??= new Date().toISOString()
    row.revokedBy ??= context.actor
    return true
  }
}

const admin = { actor: 'user:root' }

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(hasErrorCode(error, 'UNAUTHENTICATED'), `expected UNAUTHENTICATED, got ${String(error)}`).toBe(true)
  return error as Error
}

async function stored(extra: Partial<NewApiToken> = {}) {
  const store = new MapTokenStore()
  const minted = mintApiToken()
  await store.createToken({ id: minted.id, hash: minted.hash, user: 'alice', groups: ['lab'], roles: [], ...extra }, admin)
  return { store, minted }
}

describe('minting and parsing API tokens', () => {
  it('a minted token is assets_<16 hex>_<43 base64url>, its hash the sha256 of the secret', () => {
    const { token, id, hash } = mintApiToken()
    expect(token).toMatch(/^assets_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    expect(token.slice(7, 23)).toBe(id)
    const parsed = parseApiToken(token)
    expect(parsed).toEqual({ id, secret: token.slice(24) })
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(hash).toBe(hashTokenSecret(parsed?.secret ?? ''))
    expect(Buffer.from(parsed?.secret ?? '', 'base64url')).toHaveLength(32)
  })

  it('every token is new: ids and secrets do not repeat', () => {
    const tokens = Array.from({ length: 500 }, () => mintApiToken())
    expect(new Set(tokens.map((t) => t.id)).size).toBe(500)
    expect(new Set(tokens.map((t) => t.token.slice(24))).size).toBe(500)
  })

  it('anything but the exact form is not a token', () => {
    const { token } = mintApiToken()
    const secret = token.slice(24)
    const bad = [
      undefined,
      42,
      '',
      token.slice(0, -1),
      `${token}A`,
      ` ${token}`,
      `${token}\n`,
      token.replace('assets_', 'Assets_'),
      token.replace('assets_', 'asset_x'),
      `assets_${token.slice(7, 23).toUpperCase()}_${secret}`,
      `assets_${'g'.repeat(16)}_${secret}`,
      `assets_${token.slice(7, 23)}-${secret}`,
      `assets_${token.slice(7, 23)}_${secret.slice(0, 42)}=`,
      `assets_${token.slice(7, 23)}_${secret.slice(0, 42)}+`,
      'x'.repeat(1_000_000),
    ]
    for (const text of bad) expect(parseApiToken(text), JSON.stringify(String(text).slice(0, 80))).toBeNull()
  })

  it('a secret whose last character carries bits 32 bytes cannot have is refused', () => {
    const { token } = mintApiToken()
    // The 43rd character holds 4 bits and two zero bits: "A" and "B" decode alike, only one is the encoding.
    const canonical = `${token.slice(0, -1)}A`
    const variant = `${token.slice(0, -1)}B`
    expect(parseApiToken(canonical)).not.toBeNull()
    expect(parseApiToken(variant)).toBeNull()
  })
})

describe('authenticateToken', () => {
  it('the right token gives its row without the hash', async () => {
    const { store, minted } = await stored({ roles: ['curator'], description: 'ci' })
    const token = await authenticateToken(store, minted.token)
    expect(token).toMatchObject({ id: minted.id, user: 'alice', groups: ['lab'], roles: ['curator'], description: 'ci', createdBy: 'user:root' })
    expect(token).not.toHaveProperty('hash')
  })

  it('a missing token is refused as missing', async () => {
    const { store } = await stored()
    expect((await failure(authenticateToken(store, undefined))).message).toMatch(/missing/)
    expect((await failure(authenticateToken(store, ''))).message).toMatch(/missing/)
  })

  it('an unknown id, a wrong secret and a malformed token get one and the same message', async () => {
    const { store, minted } = await stored()
    const other = mintApiToken()
    const unknownId = await failure(authenticateToken(store, other.token))
    const wrongSecret = await failure(authenticateToken(store, `assets_${minted.id}_${other.token.slice(24)}`))
    const malformed = await failure(authenticateToken(store, 'Bearer nonsense'))
    expect(unknownId.message).toBe('unknown or wrong API token')
    expect(wrongSecret.message).toBe(unknownId.message)
    expect(malformed.message).toBe(unknownId.message)
    expect(unknownId.message).not.toContain(other.id)
  })

  it('a row with a damaged hash never matches', async () => {
    const { store, minted } = await stored()
    const row = store.rows.get(minted.id)
    if (row) row.hash = 'not hex'
    await failure(authenticateToken(store, minted.token))
  })

  it('a revoked token is refused as revoked, an expired one as expired', async () => {
    const { store, minted } = await stored({ expiresAt: '2030-01-01T00:00:00.000Z' })
    expect((await authenticateToken(store, minted.token, new Date('2029-12-31T23:59:59Z'))).id).toBe(minted.id)
    expect((await failure(authenticateToken(store, minted.token, new Date('2030-01-01T00:00:00Z')))).message).toMatch(/expired/)
    await store.revokeToken(minted.id, admin)
    expect((await failure(authenticateToken(store, minted.token, new Date('2029-01-01T00:00:00Z')))).message).toMatch(/revoked/)
  })
})

describe('parseDuration', () => {
  it('reads a whole number of seconds, minutes, hours or days', () => {
    expect(parseDuration('3600s')).toBe(3_600_000)
    expect(parseDuration('90m')).toBe(5_400_000)
    expect(parseDuration('12h')).toBe(43_200_000)
    expect(parseDuration('30d')).toBe(2_592_000_000)
  })

  it('refuses anything else with INVALID_INPUT', () => {
    for (const text of ['', '30', 'd', '0d', '-1d', '1.5h', '30 d', '30D', '1w', ' 1d', '1d ', '01d', '1e3s', '3651d', '9999999999s']) {
      let error: unknown
      try {
        parseDuration(text)
      } catch (e) {
        error = e
      }
      expect(hasErrorCode(error, 'INVALID_INPUT'), text).toBe(true)
    }
  })
})
