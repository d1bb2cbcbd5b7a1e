import { ApiError, errorOfResponse } from './api-error'
import { api, unwrap } from './client'
import type { paths } from './schema'
import { reportUnauthenticated } from './session-token'
import type { IdentityProviderInfo } from '../session/identity-provider'
import { type AccessControl, type Actor, as, type AssetInfo, type AssetRecord, type Annotation, type AuditEntry, type CompatResult, type LineageResult, type QueryPage, type ValidationReport } from './types'

/** The AssetQuery of `POST /v1/find` (see packages/core/src/query.ts). */
export interface AssetQuery {
  where?: Record<string, unknown>
  kind?: string | string[]
  tag?: string
  text?: string
  keyPrefix?: string
  sort?: { field: string; order?: 'asc' | 'desc' }
  limit?: number
  cursor?: string
}

export type Direction = 'up' | 'down' | 'both'

/** The formats `POST /v1/validate` reads, as the server's document lists them. */
export type DatasetFormat = NonNullable<NonNullable<paths['/v1/validate/{key}']['post']['requestBody']>['content']['application/json']['format']>
export const DATASET_FORMATS: readonly DatasetFormat[] = ['h5ad', 'zarr', 'csv', 'tsv']

/** Every call the pages make, each one request as the signed-in token. */
export const assets = {
  whoami: async (): Promise<Actor> => as.actor(await unwrap(api.GET('/v1/whoami'))),
  find: async (query: AssetQuery): Promise<QueryPage> => as.page(await unwrap(api.POST('/v1/find', { body: { query: query as Record<string, unknown> } }))),
  info: async (key: string, ref = 'latest'): Promise<AssetInfo> => as.info(await unwrap(api.GET('/v1/info/{key}', { params: { path: { key }, query: { ref } } }))),
  versions: async (key: string): Promise<AssetRecord[]> => as.records(await unwrap(api.GET('/v1/versions/{key}', { params: { path: { key } } }))),
  tags: async (key: string): Promise<Record<string, string>> => as.tags(await unwrap(api.GET('/v1/tags/{key}', { params: { path: { key } } }))),
  setTag: async (key: string, tag: string, version: string): Promise<void> => {
    await unwrap(api.PUT('/v1/tags/{key}', { params: { path: { key } }, body: { tag, version }, parseAs: 'text' }))
  },
  setAccessControl: async (key: string, accessControl: Partial<AccessControl>, version?: string): Promise<AccessControl> =>
    as.acl(await unwrap(api.PUT('/v1/acl/{key}', { params: { path: { key } }, body: { accessControl, ...(version ? { version } : {}) } }))),
  annotations: async (key: string, version?: string): Promise<Annotation[]> =>
    as.annotations(await unwrap(api.GET('/v1/annotations/{key}', { params: { path: { key }, query: version ? { version } : {} } }))),
  annotate: async (key: string, text: string, version: string): Promise<Annotation> =>
    as.annotation(await unwrap(api.POST('/v1/annotations/{key}', { params: { path: { key } }, body: { text, version } }))),
  lineage: async (key: string, options: { version?: string; direction: Direction; depth: number }): Promise<LineageResult> =>
    as.lineage(await unwrap(api.GET('/v1/lineage/{key}', { params: { path: { key }, query: options } }))),
  audit: async (key: string, limit = 200): Promise<AuditEntry[]> => as.audit(await unwrap(api.GET('/v1/audit', { params: { query: { key, limit } } }))),
  checkCompat: async (dataset: { key: string; ref: string }, model: { key: string; ref: string }): Promise<CompatResult> =>
    as.compat(await unwrap(api.POST('/v1/check-compat', { body: { dataset, model } }))),
  validate: async (key: string, ref: string, format?: DatasetFormat): Promise<ValidationReport> =>
    as.validation(await unwrap(api.POST('/v1/validate/{key}', { params: { path: { key }, query: { ref } }, body: format ? { format } : {} }))),
}

/** The identity provider a browser signs in with (`GET /v1/sign-in`, no token needed), or null: API tokens only. */
export async function identityProvider(): Promise<IdentityProviderInfo | null> {
  return ((await unwrap(api.GET('/v1/sign-in'))) as { identityProvider: IdentityProviderInfo | null }).identityProvider
}

/**
 * Redeems the code the identity provider sent back (with the PKCE verifier and nonce this tab
 * kept) for a token the server accepts: `POST /v1/sign-in/token`. A refusal is shown on the
 * callback page, so it does not go through the 401 handling that signs a tab out.
 */
export async function redeemSignIn(body: { code: string; state: string; iss?: string; codeVerifier: string; nonce: string; redirectUri: string }): Promise<{ token: string; user: string }> {
  return (await unwrap(api.POST('/v1/sign-in/token', { body }), { signOutOn401: false })) as { token: string; user: string }
}

/** Where a version's bytes download from: the session cookie (scoped to /v1/content) authorises the plain link. */
export function contentUrl(key: string, version: string): string {
  return `/v1/content/${key.split('/').map(encodeURIComponent).join('/')}?ref=${encodeURIComponent(version)}`
}

/**
 * The download cookie for `<a download>` links: `POST /v1/session` turns the request's bearer
 * token into an HttpOnly cookie scoped to /v1/content, which the page's script never sees. A
 * server without the route (404) just has no cookie: downloads then need the command line.
 */
export async function openSession(token: string): Promise<void> {
  const { response, error } = await api.POST('/v1/session', { headers: { authorization: `Bearer ${token}` }, parseAs: 'text' })
  // 404: a server without the route; 400: a token too long for a cookie (an identity provider's
  // with many groups). Browsing works without the cookie; downloads then need the command line.
  if (response.ok || response.status === 404 || response.status === 400) return
  const failure = await errorOfResponse(response, error)
  if (failure.status === 401) reportUnauthenticated(failure.message)
  throw failure
}

/** Drops the download cookie (best effort: signing out goes on whatever the server says). */
export async function closeSession(token: string | undefined): Promise<void> {
  await api.DELETE('/v1/session', { headers: token ? { authorization: `Bearer ${token}` } : {}, parseAs: 'text' }).catch(() => undefined)
}

export { ApiError }
