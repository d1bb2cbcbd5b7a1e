import { type Static, Type } from '@assets/core'

export const DEFAULT_BUSY_TIMEOUT_MS = 5000

/** Options of the SQLite registry; the config layer maps `DB_PATH` to `path`. */
export const SqliteRegistryOptionsSchema = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      description: 'Database file (DB_PATH). Its folder is created when missing; ":memory:" keeps it in this process only.',
    }),
    busyTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        default: DEFAULT_BUSY_TIMEOUT_MS,
        description: 'How long a write waits for another process holding the write lock before failing.',
      }),
    ),
    shared: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'false: a new database file is created 0600 (and a missing folder 0700), so no other OS user reads the catalogue. true: the umask decides.',
      }),
    ),
  },
  { additionalProperties: false },
)

export type SqliteRegistryOptions = Static<typeof SqliteRegistryOptionsSchema>
