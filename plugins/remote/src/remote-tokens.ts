import { type ApiToken, type NewApiToken, type TokenStore, UnsupportedOperationError } from '@assets/core'
import type { ServerClient } from './server-client.js'

/** The tokens of an asset server, for an admin's token: created, listed and revoked there. */
export class RemoteTokens implements TokenStore {
  constructor(private readonly client: ServerClient) {}

  async createToken(token: NewApiToken): Promise<ApiToken> {
    return (await this.client.json<ApiToken>('POST', '/v1/tokens', {
      body: {
        id: token.id,
        hash: token.hash,
        user: token.user,
        groups: token.groups,
        roles: token.roles,
        description: token.description,
        expiresAt: token.expiresAt,
      },
    })) as ApiToken
  }

  findToken(): Promise<(ApiToken & { hash: string }) | null> {
    return Promise.reject(new UnsupportedOperationError('only the asset server checks tokens'))
  }

  async listTokens(): Promise<ApiToken[]> {
    return (await this.client.json<ApiToken[]>('GET', '/v1/tokens')) ?? []
  }

  async revokeToken(id: string): Promise<boolean> {
    const done = await this.client.json<object>('DELETE', `/v1/tokens/${encodeURIComponent(id)}`, { accept: [404] })
    return done !== undefined
  }
}
