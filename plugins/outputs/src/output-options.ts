import { type Static, Type } from '@assets/core'

export const DEFAULT_TEMPORARY_TTL_SECONDS = 7 * 24 * 3600
export const DEFAULT_MAX_METRICS_BYTES = 16 * 1024 * 1024

export const outputManagerOptionsSchema = Type.Object(
  {
    temporaryTtl: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: DEFAULT_TEMPORARY_TTL_SECONDS,
        description: 'Seconds a temporary or intermediate output lives when its put gives neither ttl nor expiresAt.',
      }),
    ),
    maxMetricsBytes: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_MAX_METRICS_BYTES, description: 'Largest metrics JSON file accepted, in bytes.' }),
    ),
  },
  { additionalProperties: false, description: 'Options of @assets/outputs' },
)

export type OutputManagerOptions = Static<typeof outputManagerOptionsSchema>
