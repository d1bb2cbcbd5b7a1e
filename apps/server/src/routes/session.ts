import { AuthenticationError, InvalidInputError } from '@assets/core'
import { decodeJwt } from 'jose'
import type { FastifyInstance } from 'fastify'
import { bearerToken } from '../auth.js'

/** The cookie a signed-in browser sends with its downloads, and only with them. */
export const SESSION_COOKIE = 'assets_session'
const COOKIE_PATH = '/v1/content/'
/** How long a download cookie lasts: 12 hours. */
export const SESSION_SECONDS = 12 * 3600

/** Room for the cookie's value within the 4 096 bytes browsers keep for a cookie with its name and attributes. */
const MAX_COOKIE_VALUE = 3800

/**
 * How long the cookie lasts, in seconds. A browser session ends with the browser, which may
 * restore it for days: the cookie lapses on its own after a working day, and the app opens it
 * again whenever a tab checks its token. A JWT (an identity provider's) lapses with the token.
 */
function lifetimeOf(token: string): number {
  let exp: unknown
  try {
    exp = token.split('.').length === 3 ? decodeJwt(token).exp : undefined
  } catch {
    exp = undefined
  }
  if (typeof exp !== 'number') return SESSION_SECONDS
  return Math.max(0, Math.min(SESSION_SECONDS, Math.floor(exp - Date.now() / 1000)))
}

/** The session cookie's value in a Cookie header, if any. */
export function sessionCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=')
    if (at <= 0 || part.slice(0, at).trim() !== SESSION_COOKIE) continue
    try {
      return decodeURIComponent(part.slice(at + 1).trim())
    } catch {
      // Not percent-encoded as we set it (another site of the domain may set cookies): no session.
      return undefined
    }
  }
  return undefined
}

/**
 * Browser sessions for downloads. The web catalogue sends its token as a bearer header on every
 * API call, but a download is a plain link the browser follows itself, which can carry no
 * header; `POST /v1/session` checks the token and sets it as a cookie that JavaScript cannot
 * read (HttpOnly), that no other site's page can make the browser send (SameSite=Strict), and
 * that goes only with `GET`/`HEAD /v1/content/…` (its Path, and the auth hook takes it nowhere
 * else): a cookie cannot change anything on the server.
 */
export function sessionRoutes(app: FastifyInstance, secure: boolean): void {
  const attributes = `Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
  app.post(
    '/v1/session',
    { schema: { tags: ['identity'], summary: 'Sign a browser in for downloads: this request’s token becomes a cookie sent only with content downloads' } },
    async (request, reply) => {
      // The token this request was authenticated with (the auth hook has checked it), never one from a body.
      const token = bearerToken(request.headers.authorization)
      if (token === undefined) throw new AuthenticationError('sign in with an Authorization header')
      const value = encodeURIComponent(token)
      // A browser drops a cookie over about 4 KB without a word, and every download would then
      // be refused: an identity provider's token with many groups can be that long.
      if (value.length > MAX_COOKIE_VALUE) {
        throw new InvalidInputError(`this token is too long for a browser cookie (${value.length} bytes; browsers keep at most about 4 KB): the web catalogue cannot download with it; use \`assets get\``)
      }
      reply.header('set-cookie', `${SESSION_COOKIE}=${value}; ${attributes}; Max-Age=${lifetimeOf(token)}`)
      return { user: request.actor.user }
    },
  )
  app.delete('/v1/session', { schema: { tags: ['identity'], summary: 'Sign a browser out: the download cookie is cleared (no token needed)' } }, async (_request, reply) => {
    reply.header('set-cookie', `${SESSION_COOKIE}=; ${attributes}; Max-Age=0`)
    return reply.code(204).send()
  })
}
