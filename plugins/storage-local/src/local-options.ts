import { type Static, Type } from '@assets/core'

export const localStorageOptionsSchema = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      description: 'Root folder of the store; created on the first write. Relative paths are resolved against the working directory.',
    }),
  },
  { description: 'Options of @assets/storage-local' },
)

export type LocalStorageOptions = Static<typeof localStorageOptionsSchema>
