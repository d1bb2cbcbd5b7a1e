import { AuthenticationError, BackendUnavailableError, ConfigInvalidError, InvalidInputError } from '@assets/core'
import { decodeJwt } from 'jose'
import * as oidc from 'openid-client'
import type { IdentityProvider } from './identity-provider.js'

export interface WebSignInOptions {
  /** The web catalogue's client id at the identity provider: a public client (no secret) with PKCE. */
  clientId: string
  /** The scopes asked for (default `openid`); add the ones whose claims name groups or roles (`openid groups`). */
  scope?: string
}

/** What the web catalogue needs to send a browser to the identity provider (`GET /v1/sign-in`). */
export interface SignInDescription {
  issuer: string
  authorizationEndpoint: string
  clientId: string
  scope: string
}

/** What the browser brings back from the identity provider, with the PKCE verifier and nonce it kept. */
export interface SignInCallback {
  code: string
  state: string
  /** RFC 9207's `iss` response parameter, when the provider sends it (it must then match). */
  iss?: string
  codeVerifier: string
  nonce: string
  /** The redirect URI of the authorization request: the token request must name it again. */
  redirectUri: string
}

/** The provider's discovery document is read again after this long (its endpoints rarely move). */
const DISCOVERY_TTL_MS = 3600_000

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)

/**
 * Sign-in to the web catalogue through the team's identity provider (OpenID Connect,
 * authorization code with PKCE; openid-client does the protocol). The browser keeps the PKCE
 * verifier, the state and the nonce, goes to the provider and comes back with a code; the
 * server redeems the code at the provider's token endpoint and answers the token that the
 * server itself accepts (its JWT check, the same as for any API call), which the tab then uses
 * as its bearer token. So the page never talks to the provider with fetch (its content security
 * policy stays `'self'`) and the provider needs no CORS for it.
 */
export class OidcSignIn {
  private discovered?: { at: number; config: Promise<oidc.Configuration> }
  private readonly issuer: URL
  private readonly scope: string

  constructor(
    issuer: string,
    private readonly options: WebSignInOptions,
    private readonly idp: IdentityProvider,
  ) {
    if (!options.clientId) throw new ConfigInvalidError([{ field: 'jwt.signIn.clientId', message: 'the web catalogue’s client id at the identity provider is required' }])
    this.issuer = new URL(issuer)
    // The endpoints a browser is sent to, and the code is redeemed at, come from this document.
    if (this.issuer.protocol !== 'https:' && !(this.issuer.protocol === 'http:' && isLoopback(this.issuer))) {
      throw new ConfigInvalidError([{ field: 'jwt.issuer', message: `sign-in through the identity provider needs an https:// issuer (or http:// on loopback), not ${this.issuer.protocol}` }])
    }
    this.scope = options.scope?.trim() || 'openid'
    if (!this.scope.split(/\s+/).includes('openid')) throw new ConfigInvalidError([{ field: 'jwt.signIn.scope', message: `must include "openid", not "${this.scope}"` }])
  }

  async describe(): Promise<SignInDescription> {
    const metadata = (await this.configuration()).serverMetadata()
    if (!metadata.authorization_endpoint) throw new BackendUnavailableError('identity provider', `${this.issuer.href} names no authorization endpoint`)
    return { issuer: metadata.issuer, authorizationEndpoint: metadata.authorization_endpoint, clientId: this.options.clientId, scope: this.scope }
  }

  /**
   * Redeems the code (checking state, nonce and the ID token's signature, issuer and audience,
   * as openid-client does) and answers the provider's token that this server accepts: the
   * access token when it is a JWT for the server's audience, else the ID token (whose audience
   * is the client id).
   */
  async redeem(callback: SignInCallback): Promise<{ token: string; user: string; expiresAt?: string }> {
    const redirect = parseRedirect(callback.redirectUri)
    const config = await this.configuration()
    redirect.searchParams.set('code', callback.code)
    redirect.searchParams.set('state', callback.state)
    if (callback.iss !== undefined) redirect.searchParams.set('iss', callback.iss)
    let tokens: oidc.TokenEndpointResponse
    try {
      tokens = await oidc.authorizationCodeGrant(config, redirect, { pkceCodeVerifier: callback.codeVerifier, expectedNonce: callback.nonce, expectedState: callback.state, idTokenExpected: true })
    } catch (error) {
      throw refusal(error)
    }
    const reasons: string[] = []
    for (const [name, token] of [
      ['access token', tokens.access_token],
      ['ID token', tokens.id_token],
    ] as const) {
      if (!token) continue
      try {
        const actor = await this.idp.actorOf(token)
        const exp = decodeJwt(token).exp
        return { token, user: actor.user, ...(typeof exp === 'number' ? { expiresAt: new Date(exp * 1000).toISOString() } : {}) }
      } catch (error) {
        reasons.push(`its ${name}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    throw new AuthenticationError(
      `the identity provider signed you in, but this server accepts neither of its tokens (${reasons.join('; ')}); the server's --jwt-audience must be the audience they name (an ID token names the client id, ${this.options.clientId})`,
    )
  }

  private configuration(): Promise<oidc.Configuration> {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) return this.discovered.config
    const config = oidc
      .discovery(this.issuer, this.options.clientId, undefined, oidc.None(), { execute: this.issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [], timeout: 10 })
      .catch((error: unknown) => {
        // Not kept: the next sign-in tries again.
        this.discovered = undefined
        throw new BackendUnavailableError('identity provider', `its discovery document (${this.issuer.href}) could not be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
      })
    this.discovered = { at: Date.now(), config }
    return config
  }
}

function parseRedirect(value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidInputError('redirectUri is not a URL')
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new InvalidInputError('redirectUri must be a plain http(s) URL, without query, fragment or credentials')
  }
  return url
}

/**
 * The provider's refusal (a code used twice, expired, or for another verifier; a state or
 * nonce that does not match) as a 401 that says which; a provider that cannot be reached, 503.
 */
function refusal(error: unknown): Error {
  if (error instanceof oidc.ResponseBodyError) return new AuthenticationError(`the identity provider refused the sign-in: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`)
  if (error instanceof oidc.AuthorizationResponseError) return new AuthenticationError(`the identity provider answered with an error: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`)
  const message = error instanceof Error ? error.message : String(error)
  const { code, name } = error as { code?: unknown; name?: unknown }
  if (typeof code === 'string' && code.startsWith('ERR_INVALID_ARG')) return new InvalidInputError(`the sign-in callback is not valid: ${message}`)
  // fetch's own failure (no connection) and its timeout.
  if (error instanceof TypeError || name === 'TimeoutError' || name === 'AbortError') return new BackendUnavailableError('identity provider', `its token endpoint could not be reached: ${message}`, { cause: error })
  // The library's checks of the answer (state, nonce, issuer, audience, signature): the sign-in
  // is refused, with the check that failed (openid-client's message is generic, its cause names it).
  const cause = (error as { cause?: unknown }).cause
  const detail = cause instanceof Error && cause.message !== message ? `: ${cause.message}` : ''
  return new AuthenticationError(`the sign-in could not be completed: ${message}${detail}`)
}
