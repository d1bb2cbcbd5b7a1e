import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ApiToken, TokenStore } from './contracts/tokens.js'
import { AuthenticationError, InvalidInputError } from './errors/index.js'

/** What every token starts with, so that secret scanners and people recognise one. */
export const API_TOKEN_PREFIX = 'assets_'
/** The public part: 16 lower-case hex digits (64 random bits), how a row is found. */
export const API_TOKEN_ID = /^[0-9a-f]{16}$/
const SECRET_BYTES = 32
// 32 bytes in base64url without padding: 43 characters.
const SECRET_CHARS = Math.ceil((SECRET_BYTES * 8) / 6)
const TOKEN_LENGTH = API_TOKEN_PREFIX.length + 16 + 1 + SECRET_CHARS
const TOKEN = /^assets_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

export interface MintedApiToken {
  /** The whole token, shown once to whoever created it; never stored. */
  token: string
  id: string
  /** sha256 of the secret, hex: what the registry keeps. */
  hash: string
}

/** sha256 of a token's secret (its base64url text), 64 lower-case hex digits. */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** A new token `assets_<id>_<secret>` from the system's cryptographic random source. */
export function mintApiToken(): MintedApiToken {
  const id = randomBytes(8).toString('hex')
  const secret = randomBytes(SECRET_BYTES).toString('base64url')
  return { token: `${API_TOKEN_PREFIX}${id}_${secret}`, id, hash: hashTokenSecret(secret) }
}

/**
 * The id and secret of a token in exactly the form `mintApiToken` writes; null for anything
 * else. The length is checked before any pattern runs, so a huge header costs nothing.
 */
export function parseApiToken(text: unknown): { id: string; secret: string } | null {
  if (typeof text !== 'string' || text.length !== TOKEN_LENGTH) return null
  const match = TOKEN.exec(text)
  if (!match) return null
  const [, id, secret] = match as unknown as [string, string, string]
  // 43 characters carry 258 bits: only the encoding of 32 bytes is accepted, not its variants.
  if (Buffer.from(secret, 'base64url').toString('base64url') !== secret) return null
  return { id, secret }
}

// Compared when no row matched, so that an unknown id costs the same work as a wrong secret.
const NO_HASH = Buffer.alloc(32)

/**
 * The token `text` stands for, or AuthenticationError. An unknown id and a wrong secret get the
 * same message, so an answer never tells whether an id exists; only the holder of the right
 * secret learns that their token expired or was revoked.
 */
export async function authenticateToken(store: TokenStore, text: string | undefined, now: Date = new Date()): Promise<ApiToken> {
  if (text === undefined || text === '') throw new AuthenticationError('missing API token')
  const wrong = () => new AuthenticationError('unknown or wrong API token')
  const parsed = parseApiToken(text)
  if (!parsed) throw wrong()
  const row = await store.findToken(parsed.id)
  const given = Buffer.from(hashTokenSecret(parsed.secret), 'hex')
  const stored = row && /^[0-9a-f]{64}$/.test(row.hash) ? Buffer.from(row.hash, 'hex') : NO_HASH
  const equal = timingSafeEqual(given, stored)
  if (!row || !equal) throw wrong()
  const { hash: _hash, ...token } = row
  if (token.revokedAt !== undefined) throw new AuthenticationError(`API token ${token.id} was revoked`)
  if (token.expiresAt !== undefined && Date.parse(token.expiresAt) <= now.getTime()) throw new AuthenticationError(`API token ${token.id} expired`)
  return token
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
/** Ten years: a longer lifetime is a mistake (or no expiry, which is said by leaving it out). */
export const MAX_TOKEN_LIFETIME_MS = 3650 * UNIT_MS.d

/** `30d`, `12h`, `90m` or `3600s` in milliseconds: a positive whole number and one unit. */
export function parseDuration(text: string): number {
  const match = typeof text === 'string' ? /^([1-9][0-9]{0,8})([smhd])$/.exec(text) : null
  if (!match) throw new InvalidInputError(`invalid duration ${JSON.stringify(text)}: expected a whole number and s, m, h or d (30d, 12h, 90m, 3600s)`)
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
  if (ms > MAX_TOKEN_LIFETIME_MS) throw new InvalidInputError(`duration ${text} is longer than ten years`)
  return ms
}
