import type { MutationContext } from './registry.js'

/**
 * An API token of the asset server as the catalogue keeps it: who it acts as and until when.
 * The secret itself is never stored, only `hash` (sha256 of the secret, hex), which the server
 * compares in constant time after finding the row by `id`.
 */
export interface ApiToken {
  /** Public part of the token (`assets_<id>_<secret>`): how a row is found without the secret. */
  id: string
  user: string
  groups: string[]
  roles: string[]
  description?: string
  createdBy: string
  createdAt: string
  expiresAt?: string
  revokedAt?: string
  revokedBy?: string
}

export interface NewApiToken {
  id: string
  /** sha256 of the secret, 64 lower-case hex digits. */
  hash: string
  user: string
  groups: string[]
  roles: string[]
  description?: string
  expiresAt?: string
}

/**
 * Optional registry capability: where the asset server keeps its API tokens, so that every
 * server process on one stack sees a token created or revoked through any of them at once.
 * Creating and revoking are audited (`token-create`, `token-revoke`, key unset).
 */
export interface TokenStore {
  createToken(token: NewApiToken, context: MutationContext): Promise<ApiToken>
  /** The row and its hash; null when there is no such id. Revoked and expired rows are returned too. */
  findToken(id: string): Promise<(ApiToken & { hash: string }) | null>
  /** Every token, newest first, without hashes. */
  listTokens(): Promise<ApiToken[]>
  /** False when there is no such id; revoking twice keeps the first revocation. */
  revokeToken(id: string, context: MutationContext): Promise<boolean>
}
