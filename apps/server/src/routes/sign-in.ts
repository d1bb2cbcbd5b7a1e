import { UnsupportedOperationError } from '@assets/core'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { OidcSignIn, SignInCallback } from '../oidc-sign-in.js'

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength })
const SignInDescriptionSchema = Type.Object({
  identityProvider: Type.Union([
    Type.Object({ issuer: Type.String(), authorizationEndpoint: Type.String(), clientId: Type.String(), scope: Type.String() }),
    Type.Null(),
  ]),
})
const CallbackBody = Type.Object(
  {
    code: Text(4096),
    state: Text(512),
    iss: Type.Optional(Text(2048)),
    codeVerifier: Type.String({ minLength: 43, maxLength: 128 }),
    nonce: Text(512),
    redirectUri: Text(2048),
  },
  { additionalProperties: false },
)
const SignedInSchema = Type.Object({ token: Type.String(), user: Type.String(), expiresAt: Type.Optional(Type.String()) })

/**
 * Sign-in through the identity provider, for the web catalogue (no token needed: these are how
 * a browser gets one). `GET /v1/sign-in` says where to send the browser, or that the server has
 * no provider (`null`: API tokens only); `POST /v1/sign-in/token` redeems the code the browser
 * came back with for a token this server accepts.
 */
export function signInRoutes(app: FastifyInstance, signIn: OidcSignIn | undefined): void {
  app.get(
    '/v1/sign-in',
    { schema: { tags: ['identity'], summary: 'How a browser signs in: the identity provider to send it to (OpenID Connect, code with PKCE), or null', security: [], response: { 200: SignInDescriptionSchema } } },
    async () => ({ identityProvider: signIn ? await signIn.describe() : null }),
  )
  app.post(
    '/v1/sign-in/token',
    {
      schema: {
        tags: ['identity'],
        summary: 'Redeem the identity provider’s code (with the PKCE verifier and nonce the browser kept) for a token this server accepts',
        security: [],
        body: CallbackBody,
        response: { 200: SignedInSchema },
      },
    },
    async (request, reply) => {
      if (!signIn) throw new UnsupportedOperationError('this server signs in with API tokens only: it has no identity provider for the web catalogue (assets serve --jwks-url … --oidc-client-id …)')
      const signedIn = await signIn.redeem(request.body as SignInCallback)
      // A bearer token in a body: never kept by a cache on the way.
      reply.header('cache-control', 'no-store')
      return signedIn
    },
  )
}
