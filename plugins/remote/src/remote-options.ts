import { type Static, Type } from '@assets/core'

export const remoteOptionsSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'The asset server (ASSETS_URL), e.g. https://assets.example.org. https:// unless ALLOW_INSECURE_STORAGE=true.' }),
    token: Type.Optional(Type.String({ minLength: 1, description: 'An API token from `assets token create` (ASSETS_TOKEN).' })),
    connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, default: 32, description: 'Connections kept open to the server.' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, default: 60_000, description: 'How long a request may wait for the server to answer.' })),
    transfer: Type.Optional(
      Type.Union([Type.Literal('server'), Type.Literal('presigned')], {
        default: 'server',
        description:
          'How blob bytes move (ASSETS_TRANSFER): through the server, or straight to and from its bucket through presigned URLs where the server offers them (S3 storage), else through the server.',
      }),
    ),
    rangeSize: Type.Optional(
      Type.Integer({ minimum: 1024 * 1024, maximum: 5 * 1024 ** 3, description: 'Bytes per ranged GET of a download; larger blobs come in parallel ranges. Default 16 MiB.' }),
    ),
    rangeConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Ranged GETs in flight per download (streamed to the file, not held); default 8.' })),
    journalDir: Type.Optional(
      Type.String({ minLength: 1, description: 'Folder of the range journals (what an interrupted download resumes from); default <cacheDir>/remote-journals.' }),
    ),
  },
  { additionalProperties: false },
)

export type RemoteOptions = Static<typeof remoteOptionsSchema>
