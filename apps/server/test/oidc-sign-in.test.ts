import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { Writable } from 'node:stream'
import { join } from 'node:path'
import { AssetConfig, createAssetManager } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAssetServer, type StartedServer } from '../src/index.js'
import { API_AUDIENCE, API_SCOPE, CLIENT_ID, signInAtProvider, startIdentityProvider, type TestIdentityProvider } from './fixtures/identity-provider.js'

const importer = (specifier: string) => import(specifier)

let idp: TestIdentityProvider
/** Accepts the provider's ID tokens (audience = the client id), as a team without an API audience would set it. */
let server: StartedServer
/** The asset server as an API at the provider: it asks for the API's scope and takes the JWT access token. */
let apiServer: StartedServer
/** Expects another audience: the provider's tokens do not name it. */
let otherAudience: StartedServer
/** Its request log (`--log`), as JSON lines. */
const logLines: string[] = []
/** Without a provider: API tokens only. */
let tokensOnly: StartedServer
/** Its provider does not answer. */
let unreachable: StartedServer

async function serverWith(jwt: Parameters<typeof startAssetServer>[0]['jwt'], logger: Parameters<typeof startAssetServer>[0]['logger'] = false): Promise<StartedServer> {
  const home = await temporaryFolder('assets-oidc')
  const manager = await createAssetManager(AssetConfig.load({ env: { ASSETS_HOME: home }, cwd: home }), { importer })
  try {
    return await startAssetServer({ manager, port: 0, uploadDir: join(home, 'uploads'), logger, ...(jwt ? { jwt } : {}) })
  } catch (error) {
    await manager.close()
    throw error
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

beforeAll(async () => {
  idp = await startIdentityProvider()
  const jwt = { jwksUrl: idp.jwksUrl, issuer: idp.issuer, audience: CLIENT_ID, signIn: { clientId: CLIENT_ID, scope: 'openid groups' } }
  const log = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
  server = await serverWith(jwt, { level: 'info', stream: log })
  apiServer = await serverWith({ ...jwt, audience: API_AUDIENCE, signIn: { clientId: CLIENT_ID, scope: `openid groups ${API_SCOPE}` } })
  otherAudience = await serverWith({ ...jwt, audience: 'https://elsewhere.example/api' })
  tokensOnly = await serverWith(undefined)
  const dead = `http://127.0.0.1:${await closedPort()}`
  unreachable = await serverWith({ jwksUrl: `${dead}/jwks`, issuer: dead, audience: CLIENT_ID, signIn: { clientId: CLIENT_ID } })
  idp.open([server, apiServer, otherAudience].map((s) => `${s.url}/sign-in/callback`))
})
afterAll(async () => {
  await Promise.all([server, apiServer, otherAudience, tokensOnly, unreachable].map((s) => s?.close()))
  await idp?.close()
})

/** What the web catalogue does before it sends the browser away: PKCE verifier, state and nonce, kept by the tab. */
function browserFlow(at: StartedServer) {
  const codeVerifier = randomBytes(32).toString('base64url')
  return {
    codeVerifier,
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    redirectUri: `${at.url}/sign-in/callback`,
  }
}

async function describeSignIn(at: StartedServer) {
  const response = await fetch(`${at.url}/v1/sign-in`)
  return { status: response.status, body: (await response.json()) as { identityProvider: { issuer: string; authorizationEndpoint: string; clientId: string; scope: string } | null } }
}

/** The whole sign-in of `login` up to the code: answers the flow and the provider's redirect back. */
async function codeFor(at: StartedServer, login: string) {
  const { identityProvider } = (await describeSignIn(at)).body
  if (!identityProvider) throw new Error('no identity provider')
  const flow = browserFlow(at)
  const authorize = new URL(identityProvider.authorizationEndpoint)
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: identityProvider.clientId, redirect_uri: flow.redirectUri, scope: identityProvider.scope, state: flow.state, nonce: flow.nonce, code_challenge: flow.challenge, code_challenge_method: 'S256' })) {
    authorize.searchParams.set(k, v)
  }
  const back = await signInAtProvider(authorize.href, flow.redirectUri, login)
  return { flow, back }
}

const redeem = (at: StartedServer, body: Record<string, unknown>) =>
  fetch(`${at.url}/v1/sign-in/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

const callbackBody = (flow: ReturnType<typeof browserFlow>, back: URL) => ({
  code: back.searchParams.get('code'),
  state: back.searchParams.get('state'),
  ...(back.searchParams.get('iss') ? { iss: back.searchParams.get('iss') } : {}),
  codeVerifier: flow.codeVerifier,
  nonce: flow.nonce,
  redirectUri: flow.redirectUri,
})

const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error

describe('signing in to the web catalogue through the identity provider', () => {
  it('says where to send the browser, without a token; a server without a provider says null', async () => {
    const described = await describeSignIn(server)
    expect(described.status).toBe(200)
    expect(described.body.identityProvider).toEqual({ issuer: idp.issuer, authorizationEndpoint: `${idp.issuer}/auth`, clientId: CLIENT_ID, scope: 'openid groups' })
    expect(await describeSignIn(tokensOnly)).toEqual({ status: 200, body: { identityProvider: null } })
    const refused = await redeem(tokensOnly, { code: 'c', state: 's', codeVerifier: 'v'.repeat(43), nonce: 'n', redirectUri: `${tokensOnly.url}/sign-in/callback` })
    expect(refused.status).toBe(501)
    expect((await errorOf(refused)).code).toBe('UNSUPPORTED_OPERATION')
  })

  it('redeems the code for a token the server accepts, acting as the person with their groups', async () => {
    const { flow, back } = await codeFor(server, 'carol')
    expect(back.searchParams.get('state')).toBe(flow.state)
    const response = await redeem(server, callbackBody(flow, back))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const signedIn = (await response.json()) as { token: string; user: string; expiresAt: string }
    expect(signedIn.user).toBe('carol')
    expect(Date.parse(signedIn.expiresAt)).toBeGreaterThan(Date.now())
    // The provider's access tokens are opaque here: the ID token (audience = the client id) is the one the server takes.
    expect(decodeJwt(signedIn.token)).toMatchObject({ iss: idp.issuer, aud: CLIENT_ID, sub: 'carol', nonce: flow.nonce })
    const whoami = await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${signedIn.token}` } })
    expect(await whoami.json()).toEqual({ user: 'carol', groups: ['lab'], roles: [] })
  })

  it('refuses a code used twice, another verifier, another nonce and another redirect URI', async () => {
    const first = await codeFor(server, 'dave')
    expect((await redeem(server, callbackBody(first.flow, first.back))).status).toBe(200)
    const again = await redeem(server, callbackBody(first.flow, first.back))
    expect(again.status).toBe(401)
    expect((await errorOf(again)).message).toMatch(/invalid_grant/)

    const wrongVerifier = await codeFor(server, 'dave')
    const verifier = await redeem(server, { ...callbackBody(wrongVerifier.flow, wrongVerifier.back), codeVerifier: randomBytes(32).toString('base64url') })
    expect(verifier.status).toBe(401)
    expect((await errorOf(verifier)).message).toMatch(/invalid_grant/)

    const wrongNonce = await codeFor(server, 'dave')
    const nonce = await redeem(server, { ...callbackBody(wrongNonce.flow, wrongNonce.back), nonce: 'another' })
    expect(nonce.status).toBe(401)
    expect((await errorOf(nonce)).message).toMatch(/nonce/)

    const wrongRedirect = await codeFor(server, 'dave')
    const redirect = await redeem(server, { ...callbackBody(wrongRedirect.flow, wrongRedirect.back), redirectUri: `${otherAudience.url}/sign-in/callback` })
    expect(redirect.status).toBe(401)
    expect((await errorOf(redirect)).message).toMatch(/invalid_grant/)

    // A code sent back by another provider (a mix-up): the `iss` of the answer is not this provider.
    const mixedUp = await codeFor(server, 'dave')
    const issuer = await redeem(server, { ...callbackBody(mixedUp.flow, mixedUp.back), iss: 'https://evil.example' })
    expect(issuer.status).toBe(401)
    expect((await errorOf(issuer)).message).toMatch(/iss/)
  })

  it('takes the provider’s JWT access token when it is for the server’s API', async () => {
    const { flow, back } = await codeFor(apiServer, 'carol')
    const response = await redeem(apiServer, callbackBody(flow, back))
    expect(response.status).toBe(200)
    const { token } = (await response.json()) as { token: string }
    expect(decodeJwt(token)).toMatchObject({ iss: idp.issuer, aud: API_AUDIENCE, sub: 'carol', groups: ['lab'] })
    const whoami = await fetch(`${apiServer.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })
    expect(await whoami.json()).toEqual({ user: 'carol', groups: ['lab'], roles: [] })
  })

  it('keeps the provider’s token as the download cookie only while the token lasts', async () => {
    const { flow, back } = await codeFor(server, 'carol')
    const { token, expiresAt } = (await (await redeem(server, callbackBody(flow, back))).json()) as { token: string; expiresAt: string }
    const session = await fetch(`${server.url}/v1/session`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    expect(session.status).toBe(200)
    const maxAge = Number(/Max-Age=(\d+)/.exec(session.headers.get('set-cookie') ?? '')?.[1])
    const left = (Date.parse(expiresAt) - Date.now()) / 1000
    // The provider's ID tokens last 10 minutes here, far less than the cookie's 12 hours.
    expect(maxAge).toBeLessThanOrEqual(Math.ceil(left))
    expect(maxAge).toBeGreaterThan(left - 30)
  })

  it('says why when the provider signs the person in but its tokens name another audience', async () => {
    const { flow, back } = await codeFor(otherAudience, 'carol')
    const response = await redeem(otherAudience, callbackBody(flow, back))
    expect(response.status).toBe(401)
    const error = await errorOf(response)
    expect(error.code).toBe('UNAUTHENTICATED')
    expect(error.message).toMatch(/accepts neither of its tokens/)
    expect(error.message).toMatch(/assets-web/)
  })

  it('leaves every other API route behind a token', async () => {
    for (const [method, path] of [
      ['POST', '/v1/session'],
      ['GET', '/v1/whoami'],
      ['POST', '/v1/find'],
      ['GET', '/v1/sign-in/token'],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { method, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}) })
      expect([401, 404], `${method} ${path}`).toContain(response.status)
      if (response.status === 404) expect(method).toBe('GET')
    }
  })

  it('answers 503 while the provider’s token endpoint fails, and at most 8 redemptions wait on it at once', async () => {
    const tokenCalls = () => idp.requests.filter((p) => p === '/token').length
    const before = tokenCalls()
    idp.breakTokenEndpoint(500)
    try {
      const { flow, back } = await codeFor(server, 'carol')
      const failed = await redeem(server, callbackBody(flow, back))
      expect(failed.status).toBe(503)
      expect((await errorOf(failed)).code).toBe('BACKEND_UNAVAILABLE')

      idp.breakTokenEndpoint('hang')
      const body = callbackBody(flow, back)
      const waiting = Array.from({ length: 8 }, () => redeem(server, body))
      await expect.poll(tokenCalls, { timeout: 5000 }).toBe(before + 9)
      const refused = await redeem(server, body)
      expect(refused.status).toBe(503)
      // Refused by the cap, not by the provider: it never heard of the ninth.
      expect(tokenCalls()).toBe(before + 9)
      // Those waiting give up after the provider's 10-second limit.
      expect((await Promise.all(waiting)).map((r) => r.status)).toEqual(Array(8).fill(503))
    } finally {
      idp.breakTokenEndpoint(undefined)
    }
  }, 30_000)

  it('logs the callback’s path without its code', async () => {
    await fetch(`${server.url}/sign-in/callback?code=the-secret-code&state=abc`)
    await expect.poll(() => logLines.some((l) => l.includes('/sign-in/callback'))).toBe(true)
    expect(logLines.join('\n')).not.toContain('the-secret-code')
  })

  it('refuses an issuer that is not a URL at start', async () => {
    await expect(serverWith({ jwksUrl: idp.jwksUrl, issuer: 'idp.example.org', audience: CLIENT_ID, signIn: { clientId: CLIENT_ID } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('refuses malformed callbacks before asking the provider', async () => {
    const asked = idp.requests.length
    const valid = { code: 'c', state: 's', codeVerifier: 'v'.repeat(43), nonce: 'n', redirectUri: `${server.url}/sign-in/callback` }
    for (const body of [
      { ...valid, redirectUri: `${server.url}/sign-in/callback?next=/` },
      { ...valid, redirectUri: 'javascript:alert(1)' },
      { ...valid, redirectUri: 'not a url' },
      { ...valid, codeVerifier: 'short' },
      { ...valid, extra: 1 },
      { ...valid, code: '' },
    ]) {
      const response = await redeem(server, body)
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect((await errorOf(response)).code).toBe('INVALID_INPUT')
    }
    expect(idp.requests.slice(asked)).toEqual([])
  })

  it('answers 503 while the provider cannot be reached, and the API itself still answers', async () => {
    const described = await fetch(`${unreachable.url}/v1/sign-in`)
    expect(described.status).toBe(503)
    expect((await errorOf(described)).code).toBe('BACKEND_UNAVAILABLE')
    expect((await fetch(`${unreachable.url}/healthz`)).status).toBe(200)
  })
})
