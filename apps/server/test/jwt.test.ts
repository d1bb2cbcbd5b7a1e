import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { AssetConfig, createAssetManager } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAssetServer, type StartedServer } from '../src/index.js'

const importer = (specifier: string) => import(specifier)
const ISSUER = 'https://idp.test'
const AUDIENCE = 'assets'

let jwks: Server
let server: StartedServer
let sign: (claims: Record<string, unknown>, options?: { expires?: string; issuer?: string; audience?: string; key?: SigningKey }) => Promise<string>
let stranger: SigningKey

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  stranger = (await generateKeyPair('ES256')).privateKey
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
  // The identity provider's published keys, served as a real one serves them.
  jwks = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })))
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve))
  sign = (claims, options = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.expires ?? '5m')
      .sign(options.key ?? privateKey)
  const home = await temporaryFolder('assets-jwt')
  const manager = await createAssetManager(AssetConfig.load({ env: { ASSETS_HOME: home }, cwd: home }), { importer })
  server = await startAssetServer({
    manager,
    port: 0,
    uploadDir: join(home, 'uploads'),
    jwt: { jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, issuer: ISSUER, audience: AUDIENCE },
  })
})
afterAll(async () => {
  await server?.close()
  jwks?.close()
})

const whoami = (token: string) => fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })

describe('JWTs of an identity provider', () => {
  it('act as the user, groups and roles their claims name', async () => {
    const response = await whoami(await sign({ sub: 'carol', groups: ['lab'], roles: ['curator'] }))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ user: 'carol', groups: ['lab'], roles: ['curator'] })
  })

  it('are refused when expired, from another issuer or audience, signed by another key, or unsigned', async () => {
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'mallory', iss: ISSUER, aud: AUDIENCE })).toString('base64url')}.`
    const refused = [
      await sign({ sub: 'carol' }, { expires: '-1m' }),
      await sign({ sub: 'carol' }, { issuer: 'https://elsewhere.test' }),
      await sign({ sub: 'carol' }, { audience: 'other-app' }),
      await sign({ sub: 'carol' }, { key: stranger }),
      await sign({ sub: 'carol', roles: 'admin' }),
      await sign({ sub: 'bad name!' }),
      unsigned,
    ]
    for (const token of refused) {
      const response = await whoami(token)
      expect(response.status).toBe(401)
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
    }
  })
})
