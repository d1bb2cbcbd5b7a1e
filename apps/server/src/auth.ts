import { type Actor, AuthenticationError, authenticateToken, parseApiToken, type TokenStore, UnsupportedOperationError } from '@assets/core'
import type { IdentityProvider } from './identity-provider.js'

/** The token text of an `Authorization: Bearer …` header; undefined when there is none. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined
  if (Array.isArray(header)) throw new AuthenticationError('send one Authorization header')
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim())
  if (!match) throw new AuthenticationError('the Authorization header must be "Bearer <token>"')
  return match[1]
}

/**
 * Who a request acts as: exactly its token's user, groups and roles. Nothing the client
 * sends besides the token (an `--as`, an ASSETS_USER) has any say. An API token is looked up
 * on every request, so a revocation through any server process holds at once in all of them;
 * any other bearer token is a JWT of the identity provider, when the server has one.
 */
export async function actorOfRequest(tokens: TokenStore | undefined, header: string | string[] | undefined, idp?: IdentityProvider): Promise<Actor> {
  const text = bearerToken(header)
  if (idp && text !== undefined && parseApiToken(text) === null) return idp.actorOf(text)
  if (!tokens) throw new UnsupportedOperationError('this registry keeps no API tokens: the server needs a SQL registry (SQLite, PostgreSQL, MySQL)')
  const token = await authenticateToken(tokens, text)
  return { user: token.user, groups: [...token.groups], roles: [...token.roles] }
}
