import { type Static, Type } from '@assets/core'

/** Relations from a model to a dataset that are only recorded once the two are compatible. */
export const DEFAULT_CHECKED_RELATIONS = ['evaluated_on', 'compatible_with'] as const

export const modelManagerOptionsSchema = Type.Object(
  {
    checkedRelations: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' }), {
        uniqueItems: true,
        default: [...DEFAULT_CHECKED_RELATIONS],
        description: 'Relations to a dataset recorded only after the compatibility check passes (or is overridden).',
      }),
    ),
  },
  { additionalProperties: false, description: 'Options of @assets/models' },
)

export type ModelManagerOptions = Static<typeof modelManagerOptionsSchema>
