import { type Static, Type } from '@assets/core'

export const DEFAULT_MAX_CONFIG_BYTES = 1024 * 1024
export const DEFAULT_MAX_ALIAS_COUNT = 100

export const configManagerOptionsSchema = Type.Object(
  {
    maxBytes: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_MAX_CONFIG_BYTES, description: 'Largest config file accepted, in bytes; larger ones are refused before parsing.' }),
    ),
    maxAliasCount: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: DEFAULT_MAX_ALIAS_COUNT,
        description: 'Bound on YAML alias expansion: a document whose aliases would expand beyond it (a "billion laughs") is refused.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Options of @assets/configs' },
)

export type ConfigManagerOptions = Static<typeof configManagerOptionsSchema>
