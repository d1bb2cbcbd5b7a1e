import createClient, { type Middleware } from 'openapi-fetch'
import { ApiError, errorOfResponse } from './api-error'
import type { paths } from './schema'
import { reportUnauthenticated, storedToken } from './session-token'

/**
 * An asset key is a path (`datasets/pbmc3k`): each segment is encoded, the slashes stay, as the
 * server's wildcard routes expect. Other path parameters are encoded whole.
 */
function pathSerializer(pathname: string, params: Record<string, unknown>): string {
  return pathname.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = String(params[name] ?? '')
    return name === 'key' ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value)
  })
}

const bearer: Middleware = {
  onRequest({ request }) {
    const token = storedToken()
    if (token !== undefined) request.headers.set('authorization', `Bearer ${token}`)
    return request
  },
}

/** The typed client over the server's OpenAPI document (same origin: the server serves this app). */
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', pathSerializer })
api.use(bearer)

/**
 * The answer of one call, or its ApiError. A 401 also signs the tab out (the token is no longer
 * good), so that every page sends the user back to sign in with the server's reason; a call
 * made while signing in (`signOutOn401: false`) shows its refusal where it was made instead.
 */
export async function unwrap(call: Promise<{ data?: unknown; error?: unknown; response: Response }>, options: { signOutOn401?: boolean } = {}): Promise<unknown> {
  let result: { data?: unknown; error?: unknown; response: Response }
  try {
    result = await call
  } catch (cause) {
    throw new ApiError(0, 'NETWORK', `the server did not answer (${cause instanceof Error ? cause.message : String(cause)}): check that it is running and reload`)
  }
  const { data, error, response } = result
  if (response.ok) return data
  const failure = await errorOfResponse(response, error)
  if (failure.status === 401 && options.signOutOn401 !== false) reportUnauthenticated(failure.message)
  throw failure
}
