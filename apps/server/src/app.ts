import { join } from 'node:path'
import { type BaseAssetManager, redactUrl } from '@assets/core'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import { actorOfRequest } from './auth.js'
import { sessionCookie, sessionRoutes } from './routes/session.js'
import { signInRoutes } from './routes/sign-in.js'
import { OidcSignIn } from './oidc-sign-in.js'
import { webCatalogue } from './web-catalogue.js'
import { DatasetValidation } from './dataset-validation.js'
import { errorResponse } from './errors.js'
import { IdentityProvider, type JwtOptions } from './identity-provider.js'
import { ManifestCache } from './manifest-cache.js'
import { adminRoutes } from './routes/admin.js'
import { blobRoutes } from './routes/blobs.js'
import { catalogueRoutes } from './routes/catalogue.js'
import { compatibilityRoutes } from './routes/compatibility.js'
import { contentRoutes } from './routes/content.js'
import { healthRoutes } from './routes/health.js'
import { presignRoutes } from './routes/presign.js'
import { registerRoutes } from './routes/register.js'
import { validateRoutes } from './routes/validate.js'
import { ErrorSchema } from './schemas.js'
import type { ServerContext } from './server-context.js'
import { UploadArea } from './upload-area.js'

export interface AssetServerOptions {
  /** The manager on the server's stack (its storage, registry and cache): only the server holds their credentials. */
  manager: BaseAssetManager
  /** Where unfinished uploads wait; default `<scratchDir of the manager>/uploads`, else a folder under the OS temp dir. */
  uploadDir: string
  /** Structured request logs (pino options), or false. Never logs headers, bodies or query secrets. */
  logger?: FastifyServerOptions['logger']
  /** Largest blob one upload may send; default 5 TiB. */
  maxBlobBytes?: number
  /** Largest JSON body; default 4 MiB. */
  bodyLimit?: number
  /** How long a client may take to send its headers; default 10 s (slow clients are cut off). */
  headersTimeoutMs?: number
  presignSeconds?: number
  /** Also accept JWTs of the team's identity provider, verified against its JWKS. */
  jwt?: JwtOptions
  https?: { cert: string | Buffer; key: string | Buffer }
  /** The web catalogue's built files (`@assets/web`'s dist), served at `/`; none when absent. */
  webRoot?: string
}

/** A client that sends nothing for this long while it should be sending (headers, a body) is cut off. */
export const IDLE_MS = 60_000

/**
 * The API routes a request may reach without a token: clearing a browser's cookie (signing out
 * needs no proof) and the identity provider's sign-in, which is how a browser gets one.
 */
const TOKENLESS = new Set(['DELETE /v1/session', 'GET /v1/sign-in', 'HEAD /v1/sign-in', 'POST /v1/sign-in/token'])

/** Whether a request must carry a token: every API route but those above. */
function needsToken(request: FastifyRequest): boolean {
  const route = request.routeOptions.url
  if (route === undefined || !route.startsWith('/v1/')) return false
  return !TOKENLESS.has(`${request.method} ${route}`)
}

/** Node's server options that cut off a slow client: its headers must all arrive within `headersTimeout`. */
function slowClientLimits(headersTimeout: number): { headersTimeout: number; connectionsCheckingInterval: number } {
  return { headersTimeout, connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 4))) }
}

/**
 * The asset server: the HTTP API over one manager, every request acting as exactly the actor of
 * its API token. Stateless between requests, so several processes may serve one stack.
 */
export async function createAssetServer(options: AssetServerOptions): Promise<FastifyInstance & { state: { closing: boolean } }> {
  const headersTimeout = options.headersTimeoutMs ?? 10_000
  const app = Fastify({
    logger: withoutQuerySecrets(options.logger ?? false),
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    // Uploads of large blobs take as long as they take; a client that sends nothing for a minute is cut off.
    requestTimeout: 0,
    connectionTimeout: IDLE_MS,
    keepAliveTimeout: 65_000,
    routerOptions: { maxParamLength: 2048 },
    // A field the schema does not name is refused (400), not dropped: a client's misspelt option
    // (`organsim`) must not be quietly ignored. Fastify's default Ajv removes such fields.
    ajv: { customOptions: { removeAdditional: false } },
    // Node checks the headers timeout only every connectionsCheckingInterval (30 s by default),
    // and only the value given at creation counts: both are set here, so a client that trickles
    // its headers is cut off within the timeout and not half a minute later.
    ...(options.https ? { https: { ...options.https, ...slowClientLimits(headersTimeout) } } : { http: slowClientLimits(headersTimeout) }),
    // A URL that does not decode (`%c0%ae`) gets the same error body as every other refusal.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = errorResponse(error)
      ;(reply as FastifyReply).code(status).send(body)
    },
  }).withTypeProvider<TypeBoxTypeProvider>()
  const state = { closing: false }
  const idp = options.jwt ? new IdentityProvider(options.jwt) : undefined
  const signIn = options.jwt?.signIn && idp ? new OidcSignIn(options.jwt.issuer, options.jwt.signIn, idp) : undefined
  const ctx: ServerContext = {
    manager: options.manager,
    manifests: new ManifestCache(options.manager.storage),
    uploads: new UploadArea(join(options.uploadDir), options.manager.storage),
    maxBlobBytes: options.maxBlobBytes ?? 5 * 1024 ** 4,
    presignSeconds: options.presignSeconds ?? 900,
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Asset server', version: '1', description: 'Datasets, models, configs and run outputs: find, read, put, with access control.' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'An API token from `assets token create`.' } } },
      security: [{ token: [] }],
    },
    // A key is a path (`datasets/pbmc`): Fastify's wildcard, named `key` in the document.
    transform: ({ schema, url }) => {
      if (!url.endsWith('/*')) return { schema, url }
      const params = (schema as { params?: { properties?: Record<string, unknown>; required?: string[] } } | undefined)?.params
      const renamed = params?.properties ? { ...params, properties: { key: params.properties['*'] }, required: ['key'] } : params
      return { schema: { ...schema, params: renamed } as typeof schema, url: `${url.slice(0, -2)}/{key}` }
    },
  })
  app.addSchema(ErrorSchema)

  app.decorateRequest('actor', null as never)
  app.decorateRequest('assets', null as never)
  app.addHook('onRequest', async (request) => {
    // Decided on the route the request matched, never on its raw URL: the router decodes
    // (`/%761/tokens` is `/v1/tokens`) and takes absolute-form targets, so a test of the raw
    // URL would let such a request reach an API route unauthenticated. Outside /v1/ are only
    // the health checks, the API document and the web catalogue's public build; a request that
    // matches no route gets the not-found answer, which reveals nothing.
    if (!needsToken(request)) return
    request.actor = await actorOfRequest(options.manager.registry.tokens, authorizationOf(request), idp)
    request.assets = options.manager.as(request.actor)
  })

  // A request refused before its body was read (an upload from the wrong offset, one too large)
  // ends its connection: draining gigabytes nobody will keep wastes the link, and a client that
  // stops sending mid-body would otherwise hold a connection that graceful shutdown waits on.
  app.addHook('onSend', async (request, reply) => {
    if (state.closing || (reply.statusCode >= 400 && !request.raw.complete)) reply.header('connection', 'close')
  })
  // Node closes only the keep-alive connections idle when shutdown starts; one whose transfer
  // ends after that would stay open until its keep-alive timeout and hold shutdown up that long.
  app.addHook('onResponse', async (request) => {
    if (state.closing) request.raw.socket?.end()
  })
  app.addHook('preClose', async () => {
    state.closing = true
  })

  // The idle limit is for a client that stalls, not for the server at work: once a request is
  // read (a JSON body parsed here, an upload's body when UploadArea has it all), the server may
  // take as long as its store needs (a 1 GiB blob to a bucket, a verify of everything) without
  // the socket being cut under a client that is rightly waiting. Idle keep-alive is limited again after.
  app.addHook('preHandler', async (request) => {
    // Not for uploads (cleared once their body is in) nor downloads (a client that stops reading is idle).
    if (!request.url.startsWith('/v1/blobs/') && !request.url.startsWith('/v1/content/')) request.raw.socket?.setTimeout(0)
  })
  app.addHook('onResponse', async (request) => {
    const socket = request.raw.socket
    if (socket && !socket.destroyed) socket.setTimeout(IDLE_MS)
  })

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorResponse(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    if (status === 401) reply.header('www-authenticate', 'Bearer')
    return reply.code(status).send(body)
  })
  if (options.webRoot) await webCatalogue(app, options.webRoot)
  else app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such route' } }))

  healthRoutes(app, ctx, state)
  adminRoutes(app, ctx)
  catalogueRoutes(app)
  contentRoutes(app, ctx)
  blobRoutes(app, ctx)
  registerRoutes(app, ctx)
  presignRoutes(app, ctx)
  compatibilityRoutes(app)
  const validation = new DatasetValidation()
  validateRoutes(app, validation)
  // Shutdown lets transfers finish, but not a validation that may run for minutes: it is stopped (503).
  app.addHook('preClose', async () => validation.close())
  sessionRoutes(app, options.https !== undefined)
  signInRoutes(app, signIn)
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  app.addHook('onClose', async () => {
    state.closing = true
  })
  return Object.assign(app, { state })
}

/**
 * The request's Authorization header; for a download without one, the browser session's
 * cookie as a bearer token (routes/session.ts): a link the browser follows carries no header.
 */
function authorizationOf(request: FastifyRequest): string | string[] | undefined {
  const header = request.headers.authorization
  if (header !== undefined || (request.method !== 'GET' && request.method !== 'HEAD') || request.routeOptions.url !== '/v1/content/*') return header
  const token = sessionCookie(request.headers.cookie)
  return token === undefined ? undefined : `Bearer ${token}`
}

/**
 * The request logs name each request's path with its query's secrets hidden: an identity
 * provider's `code` coming back to `/sign-in/callback`, a presigned URL's signature. Fastify's
 * own serializer logs the URL as sent.
 */
function withoutQuerySecrets(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return logger
  const options = logger === true ? {} : (logger as Record<string, unknown>)
  const serializers = (options.serializers ?? {}) as Record<string, unknown>
  return {
    ...options,
    serializers: {
      ...serializers,
      req: (request: { method?: string; url?: string; ip?: string }) => ({ method: request.method, url: redactUrl(request.url ?? ''), remoteAddress: request.ip }),
    },
  } as FastifyServerOptions['logger']
}
