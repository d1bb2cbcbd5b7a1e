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
/** After a failed refresh, the last good document serves this long before the next try. */
const RETRY_MS = 60_000
/**
 * Redemptions in flight at once, over all callers. The route needs no token (it is how a browser
 * gets one), and each call makes the server call the provider's token endpoint: without a cap,
 * anyone could make this server flood the provider until it blocks the server for everyone. A
 * person's sign-in makes one call; more than this at once are refused with 503.
 */
const MAX_REDEEMING = 8

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
  private lastGood?: oidc.Configuration
  /** Redemptions waiting on the provider now (see MAX_REDEEMING). */
  private redeeming = 0
  private readonly issuer: URL
  private readonly scope: string

  constructor(
    issuer: string,
    private readonly options: WebSignInOptions,
    private readonly idp: IdentityProvider,
  ) {
    if (!options.clientId) throw new ConfigInvalidError([{ field: 'jwt.signIn.clientId', message: 'the web catalogue’s client id at the identity provider is required' }])
    try {
      this.issuer = new URL(issuer)
    } catch {
      throw new ConfigInvalidError([{ field: 'jwt.issuer', message: `sign-in through the identity provider needs the issuer as a URL (https://idp.example.org), not "${issuer}"` }])
    }
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
    // A provider that lists its PKCE methods without S256 would ignore the challenge: a stolen
    // code would then need only the nonce. (Many providers list none and support it: they pass.)
    const methods = metadata.code_challenge_methods_supported
    if (methods !== undefined && !methods.includes('S256')) {
      throw new ConfigInvalidError([{ field: 'jwt.issuer', message: `the identity provider at ${this.issuer.href} does not support PKCE with S256 (it lists ${methods.join(', ') || 'no method'}): the web catalogue cannot sign in through it` }])
    }
    return { issuer: metadata.issuer, authorizationEndpoint: metadata.authorization_endpoint, clientId: this.options.clientId, scope: this.scope }
  }

  /**
   * Redeems the code at the provider's token endpoint (openid-client: PKCE, the `iss` response
   * parameter, the ID token's nonce, issuer and audience; it does not verify the ID token's
   * signature, as OpenID Connect allows for a token received straight from the token endpoint)
   * and answers the provider's token that this server accepts, verified by the same JWT check as
   * every API call (jose: signature, issuer, audience, expiry): the access token when it is a
   * JWT for the server's audience, else the ID token (whose audience is the client id). The
   * state is the browser's to check (it alone knows which sign-in it started); it is passed
   * here only because openid-client compares the callback's state with an expected one.
   */
  async redeem(callback: SignInCallback): Promise<{ token: string; user: string; expiresAt?: string }> {
    const redirect = parseRedirect(callback.redirectUri)
    if (this.redeeming >= MAX_REDEEMING) throw new BackendUnavailableError('identity provider', `${MAX_REDEEMING} sign-ins are being completed already; try again in a moment`)
    this.redeeming++
    try {
      return await this.redeemAt(redirect, callback)
    } finally {
      this.redeeming--
    }
  }

  private async redeemAt(redirect: URL, callback: SignInCallback): Promise<{ token: string; user: string; expiresAt?: string }> {
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

  /**
   * The provider's discovery document, read again after an hour. A failed first read is not
   * kept (the next sign-in tries again); a failed refresh keeps the last good document for
   * another while, so that one bad answer of the provider does not stop every sign-in.
   */
  private configuration(): Promise<oidc.Configuration> {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) return this.discovered.config
    const lastGood = this.lastGood
    const config = oidc
      .discovery(this.issuer, this.options.clientId, undefined, oidc.None(), { execute: this.issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [], timeout: 10 })
      .then(
        (found) => {
          this.lastGood = found
          return found
        },
        (error: unknown) => {
          if (lastGood) {
            this.discovered = { at: Date.now() - DISCOVERY_TTL_MS + RETRY_MS, config: Promise.resolve(lastGood) }
            return lastGood
          }
          this.discovered = undefined
          throw new BackendUnavailableError('identity provider', `its discovery document (${this.issuer.href}) could not be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
        },
      )
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

/** OAuth errors that say the provider is failing now, not that this sign-in is wrong. */
const PROVIDER_DOWN = new Set(['server_error', 'temporarily_unavailable'])
/** OAuth errors that say the server's own registration at the provider is wrong. */
const MISCONFIGURED = new Set(['invalid_client', 'unauthorized_client'])

/**
 * What a failed redemption means, as the error the caller gets: the provider failing or not
 * answering (its 5xx, a timeout, no connection) is 503, logged, and worth a retry; the server's
 * client registration refused is a configuration error (500, logged); anything about this
 * sign-in (a code used twice, expired, or for another verifier; a nonce or issuer that does not
 * match) is 401 with the reason.
 */
function refusal(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error)
  const down = (why: string) => new BackendUnavailableError('identity provider', `its token endpoint ${why}`, { cause: error })
  if (error instanceof oidc.ResponseBodyError) {
    const reason = `${error.error}${error.error_description ? ` (${error.error_description})` : ''}`
    if (error.status >= 500 || PROVIDER_DOWN.has(error.error)) return down(`failed: ${reason}`)
    if (MISCONFIGURED.has(error.error)) return new ConfigInvalidError([{ field: 'jwt.signIn.clientId', message: `the identity provider refused this server's client: ${reason}` }], { cause: error })
    return new AuthenticationError(`the identity provider refused the sign-in: ${reason}`)
  }
  if (error instanceof oidc.AuthorizationResponseError) return new AuthenticationError(`the identity provider answered with an error: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`)
  const { code, name, cause } = error as { code?: unknown; name?: unknown; cause?: unknown }
  if (typeof code === 'string' && code.startsWith('ERR_INVALID_ARG')) return new InvalidInputError(`the sign-in callback is not valid: ${message}`)
  // fetch's own failure (no connection), the library's timeout and abort, and a 5xx that is not an OAuth answer.
  if (error instanceof TypeError || name === 'TimeoutError' || name === 'AbortError' || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') return down(`could not be reached: ${message}`)
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && cause instanceof Response && cause.status >= 500) return down(`answered ${cause.status}`)
  // The library's checks of the answer (nonce, issuer): the sign-in is refused, with the check
  // that failed (openid-client's message is generic, its cause names it).
  const detail = cause instanceof Error && cause.message !== message ? `: ${cause.message}` : ''
  return new AuthenticationError(`the sign-in could not be completed: ${message}${detail}`)
}
