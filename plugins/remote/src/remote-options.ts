import { type Static, Type } from '@assets/core'

export const remoteOptionsSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'The asset server (ASSETS_URL), e.g. https://assets.example.org. https:// unless ALLOW_INSECURE_STORAGE=true.' }),
    token: Type.Optional(Type.String({ minLength: 1, description: 'An API token from `assets token create` (ASSETS_TOKEN).' })),
    connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, default: 32, description: 'Connections kept open to the server.' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, default: 60_000, description: 'How long a request may wait for the server to answer.' })),
  },
  { additionalProperties: false },
)

export type RemoteOptions = Static<typeof remoteOptionsSchema>
