import { calculatePKCECodeChallenge, generateRandomCodeVerifier, generateRandomNonce, generateRandomState } from 'oauth4webapi'

/** What `GET /v1/sign-in` names: where the identity provider signs people in for this server. */
export interface IdentityProviderInfo {
  issuer: string
  authorizationEndpoint: string
  clientId: string
  scope: string
}

/** The path the provider sends the browser back to: registered at the provider as `<server URL>/sign-in/callback`. */
export const CALLBACK_PATH = '/sign-in/callback'
const PENDING_KEY = 'assets.sign-in'
/** Set by signing out: the next sign-in asks the provider for the login page again (`prompt=login`). */
const ASK_LOGIN_KEY = 'assets.sign-in.ask-login'

/** What the tab keeps while the browser is at the provider: the proof that the answer is for this tab. */
export interface PendingSignIn {
  state: string
  nonce: string
  codeVerifier: string
  redirectUri: string
  /** Where to go once signed in (a path of this app). */
  from: string
}

/**
 * Sends the browser to the identity provider (OpenID Connect, authorization code with PKCE).
 * The verifier, state and nonce stay in this tab's sessionStorage: only this tab can redeem the
 * code the provider sends back, and an answer to another tab's request is refused.
 */
export async function goToIdentityProvider(provider: IdentityProviderInfo, from: string): Promise<void> {
  if (!globalThis.crypto?.subtle) {
    throw new Error('signing in through the identity provider needs a secure page (https://, or http:// on this machine): ask for the server’s https address, or sign in with an API token')
  }
  const pending: PendingSignIn = {
    state: generateRandomState(),
    nonce: generateRandomNonce(),
    codeVerifier: generateRandomCodeVerifier(),
    redirectUri: `${window.location.origin}${CALLBACK_PATH}`,
    from: localPath(from),
  }
  const url = new URL(provider.authorizationEndpoint)
  const params = {
    response_type: 'code',
    client_id: provider.clientId,
    redirect_uri: pending.redirectUri,
    scope: provider.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await calculatePKCECodeChallenge(pending.codeVerifier),
    code_challenge_method: 'S256',
  }
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  // After a sign-out the provider may still remember the person: on a shared machine the next
  // person must not be signed in as the last one without being asked.
  if (localStorage.getItem(ASK_LOGIN_KEY) !== null) url.searchParams.set('prompt', 'login')
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending))
  window.location.assign(url.href)
}

/** The sign-in this tab started, taken once: a reload of the callback page cannot redeem it twice. */
export function takePendingSignIn(): PendingSignIn | undefined {
  const kept = sessionStorage.getItem(PENDING_KEY)
  sessionStorage.removeItem(PENDING_KEY)
  if (kept === null) return undefined
  try {
    const pending = JSON.parse(kept) as Partial<PendingSignIn>
    if (typeof pending.state !== 'string' || typeof pending.nonce !== 'string' || typeof pending.codeVerifier !== 'string' || typeof pending.redirectUri !== 'string') return undefined
    return { state: pending.state, nonce: pending.nonce, codeVerifier: pending.codeVerifier, redirectUri: pending.redirectUri, from: localPath(pending.from) }
  } catch {
    return undefined
  }
}

/** A sign-out (any tab of this browser): the provider is asked to show its login page next time. */
export function askLoginNextTime(): void {
  localStorage.setItem(ASK_LOGIN_KEY, '1')
}

/** A completed sign-in: the person was asked, or chose to be remembered. */
export function signedInThroughProvider(): void {
  localStorage.removeItem(ASK_LOGIN_KEY)
}

/** A path of this app to come back to; anything else (another origin, `//host`, the callback) is the search page. */
export function localPath(from: unknown): string {
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') && !from.startsWith('/\\') && !from.startsWith(CALLBACK_PATH) ? from : '/'
}
