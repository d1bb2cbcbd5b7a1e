import { type Actor, AuthenticationError, validateActor } from '@assets/core'
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'

export interface JwtOptions {
  /** The identity provider's JWKS document (`https://idp.example.org/.well-known/jwks.json`). */
  jwksUrl: string
  /** Required `iss`; strongly advised, so that another tenant's tokens are refused. */
  issuer?: string
  /** Required `aud`. */
  audience?: string
  /** Claim holding the user name (default `sub`). */
  userClaim?: string
  /** Claim holding a list of group names (default `groups`). */
  groupsClaim?: string
  /** Claim holding a list of role names (default `roles`). */
  rolesClaim?: string
}

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
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl))
  }

  async actorOf(token: string): Promise<Actor> {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, this.keys, { issuer: this.options.issuer, audience: this.options.audience }))
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
