import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/**
 * The web catalogue's built files (`@assets/web`'s dist) at `/`. Every path that is not an API
 * route, a health check or a file of the build is a page of the single-page app, so it answers
 * index.html and the app's router takes over. The pages call the API with the token the user
 * signs in with; nothing here authenticates, since nothing here is more than the public build.
 */
export async function webCatalogue(app: FastifyInstance, root: string): Promise<void> {
  const index = join(root, 'index.html')
  if (!(await stat(index).catch(() => undefined))?.isFile()) throw new Error(`the web catalogue folder ${root} has no index.html: build @assets/web first`)
  // Before the build's routes are made, so that they have it too.
  app.addHook('onSend', async (request, reply) => {
    if (request.routeOptions.url?.startsWith('/v1/') || request.routeOptions.url === '/openapi.json') return
    // The app loads only its own files and talks only to this server; xyflow positions nodes with inline styles.
    reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
  })
  await app.register(fastifyStatic, {
    root,
    // One route per file of the build as it is at start (a rebuilt app needs a restart): no
    // request path is ever resolved against the folder at request time.
    wildcard: false,
    index: false,
    // Vite names each asset by its content hash: one URL is one content for ever.
    setHeaders: (res, path) => {
      res.header('cache-control', path.includes(`${join(root, 'assets')}/`) ? 'public, max-age=31536000, immutable' : 'no-cache')
    },
  })
  const page = async (_request: unknown, reply: import('fastify').FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html')
  app.get('/', { schema: { hide: true } }, page)
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? ''
    // An unknown API route or a missing file of the build (all under /assets/) is an error, not
    // a page. Anything else is one of the app's routes, whose asset keys may well end in `.h5ad`.
    if (request.method !== 'GET' || path.startsWith('/v1/') || path.startsWith('/assets/')) {
      return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such route' } })
    }
    return page(request, reply)
  })
}
