import { type Static, Type } from '@assets/core'

const Milliseconds = (description: string, fallback: number) => Type.Optional(Type.Integer({ minimum: 1, default: fallback, description }))

export const httpStorageOptionsSchema = Type.Object(
  {
    baseUrl: Type.String({
      minLength: 1,
      description: 'Root URL of the store (HTTP_STORAGE_BASE_URL); locations are resolved under it. https:// unless ALLOW_INSECURE_STORAGE=true.',
    }),
    authType: Type.Optional(
      Type.Union([Type.Literal('None'), Type.Literal('Basic'), Type.Literal('Bearer'), Type.Literal('APIKey')], {
        default: 'None',
        description: 'How requests authenticate (HTTP_STORAGE_AUTH_TYPE).',
      }),
    ),
    authToken: Type.Optional(Type.String({ description: 'Bearer token or API key (HTTP_STORAGE_AUTH_TOKEN).' })),
    username: Type.Optional(Type.String({ description: 'Basic auth user (HTTP_STORAGE_USERNAME).' })),
    password: Type.Optional(Type.String({ description: 'Basic auth password (HTTP_STORAGE_PASSWORD).' })),
    apiKeyHeader: Type.Optional(
      Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", default: 'X-API-Key', description: 'Header that carries the key when authType is APIKey.' }),
    ),
    verifySsl: Type.Optional(Type.Boolean({ default: true, description: 'Verify the TLS certificate (HTTP_STORAGE_VERIFY_SSL).' })),
    ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM text of extra certificate authorities to trust.' })),
    caFile: Type.Optional(Type.String({ minLength: 1, description: 'Path of a PEM file of extra certificate authorities to trust.' })),
    headers: Type.Optional(
      Type.Union([Type.Record(Type.String(), Type.String()), Type.String()], {
        description: 'Extra request headers (HTTP_STORAGE_HEADERS): an object, or its JSON text.',
      }),
    ),
    readOnly: Type.Optional(Type.Boolean({ default: false, description: 'The server only serves GET/HEAD: no upload, delete or move.' })),
    list: Type.Optional(Type.Boolean({ description: 'The server answers WebDAV PROPFIND (default: true unless readOnly).' })),
    connections: Type.Optional(Type.Integer({ minimum: 1, default: 8, description: 'Keep-alive connections per origin (at least rangeConcurrency are opened).' })),
    rangeSize: Type.Optional(
      Type.Integer({ minimum: 1 << 20, maximum: 1 << 30, default: 8 << 20, description: 'Bytes per ranged GET of a download larger than one range.' }),
    ),
    rangeConcurrency: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 64, default: 8, description: 'Ranged GETs in flight per download (1: one stream, as curl).' }),
    ),
    journalDir: Type.Optional(
      Type.String({ minLength: 1, description: 'Folder of the range journals a crashed download resumes from; default <cacheDir>/http-journals.' }),
    ),
    connectTimeoutMs: Milliseconds('Time allowed to open a connection (TLS included).', 10_000),
    readTimeoutMs: Milliseconds('Longest wait for response headers or between two body chunks.', 60_000),
    retries: Type.Optional(Type.Integer({ minimum: 0, default: 4, description: 'Retries of a failed request (transient errors and 408/429/5xx only).' })),
    retryBaseDelayMs: Type.Optional(Type.Integer({ minimum: 0, default: 200, description: 'First backoff delay; doubles each retry, with jitter.' })),
    maxRedirects: Type.Optional(Type.Integer({ minimum: 0, default: 5, description: 'Redirects followed by GET and HEAD.' })),
  },
  { additionalProperties: false, description: 'Options of @assets/storage-http' },
)

export type HttpStorageOptions = Static<typeof httpStorageOptionsSchema>
export type HttpAuthType = NonNullable<HttpStorageOptions['authType']>
