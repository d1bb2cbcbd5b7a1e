import { type Static, Type } from '@assets/core'

export const localStorageOptionsSchema = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      description: 'Root folder of the store; created on the first write. Relative paths are resolved against the working directory.',
    }),
    shared: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'false: the root is created 0700 and objects 0600, so no other OS user reads them. true: the umask decides, for a folder a group shares.',
      }),
    ),
  },
  { description: 'Options of @assets/storage-local' },
)

export type LocalStorageOptions = Static<typeof localStorageOptionsSchema>
