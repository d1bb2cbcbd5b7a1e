import { type Actor, AuthenticationError, ConfigInvalidError, validateActor } from '@assets/core'
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'
import type { WebSignInOptions } from './oidc-sign-in.js'

export interface JwtOptions {
  /** The identity provider's JWKS document (`https://idp.example.org/.well-known/jwks.json`). */
  jwksUrl: string
  /** The `iss` every token must name: another tenant's tokens are refused. */
  issuer: string
  /** The `aud` every token must name: tokens the provider signed for other applications are refused. */
  audience: string
  /** Claim holding the user name (default `sub`). */
  userClaim?: string
  /** Claim holding a list of group names (default `groups`). */
  groupsClaim?: string
  /** Claim holding a list of role names (default `roles`). */
  rolesClaim?: string
  /** Let the web catalogue sign browsers in through this provider (OpenID Connect, code with PKCE). */
  signIn?: WebSignInOptions
}

/** Asymmetric signatures only: an HMAC `alg` would let a public key be used as the secret. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']

function names(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim]
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new AuthenticationError(`the token's "${claim}" claim is not a list of names`)
  return value as string[]
}

/**
 * JWTs of a team's identity provider, verified against its published keys (fetched and
 * cached by jose, refetched when a token names an unknown key): signature, expiry, not-before,
 * issuer and audience. The claims name the actor; a token whose names are not valid principal
 * names is refused rather than trimmed.
 */
export class IdentityProvider {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>

  constructor(private readonly options: JwtOptions) {
    if (!options.issuer || !options.audience) throw new ConfigInvalidError([{ field: 'jwt', message: 'a JWKS needs the issuer and the audience its tokens must name: without them, tokens the provider signs for any other application would be accepted' }])
    const url = new URL(options.jwksUrl)
    // The keys that decide who anyone is must not be swapped on the way: https, but on this machine.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))) {
      throw new ConfigInvalidError([{ field: 'jwt.jwksUrl', message: `must be https:// (or http:// on loopback), not ${url.protocol}` }])
    }
    this.keys = createRemoteJWKSet(url)
  }

  async actorOf(token: string): Promise<Actor> {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, this.keys, { issuer: this.options.issuer, audience: this.options.audience, algorithms: ALGORITHMS }))
    } catch (error) {
      // jose's reasons (expired, bad signature, wrong issuer) say nothing secret and help the caller.
      throw new AuthenticationError(`the identity provider's token was refused: ${error instanceof Error ? error.message : String(error)}`)
    }
    const user = payload[this.options.userClaim ?? 'sub']
    if (typeof user !== 'string' || user === '') throw new AuthenticationError(`the token has no "${this.options.userClaim ?? 'sub'}" claim naming its user`)
    try {
      return validateActor({ user, groups: names(payload, this.options.groupsClaim ?? 'groups'), roles: names(payload, this.options.rolesClaim ?? 'roles') })
    } catch (error) {
      throw new AuthenticationError(`the token's claims do not name a valid actor: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
