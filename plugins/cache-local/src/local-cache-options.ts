import { type Static, Type } from '@assets/core'

/** How long a lock may go without a heartbeat before another process takes it over. */
export const DEFAULT_STALE_LOCK_MS = 10 * 60 * 1000

export const localCacheOptionsSchema = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'Root folder of the cache; created on first use.' }),
    maxBytes: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Upper bound on the bytes of entries; set() evicts least recently used entries to stay under it.' }),
    ),
    staleLockMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: DEFAULT_STALE_LOCK_MS,
        description: 'A lock whose holder has not refreshed it for this long is taken over.',
      }),
    ),
    defaultTtl: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Seconds a value lives when setValue() is given no ttl.' })),
    shared: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'false: the root is created 0700 and entry files are 0400, so no other OS user reads them. true: folders as the umask says and entry files 0444, for a cache a group shares.',
      }),
    ),
    hardlinks: Type.Optional(
      Type.Union([Type.Literal('protected'), Type.Literal('always'), Type.Literal('never')], {
        default: 'protected',
        description:
          'Whether an entry may be a hard link to a local storage\'s file on the same filesystem (one copy of the bytes instead of two; reflinks are used wherever the filesystem has them, whatever this says). protected: only where the read-only mode stops a write through the entry (the process is not root); always: also as root, where a write through the path damages the stored file (verify reports it; get reports it for a file and for a folder of at most 64 files, but checks only a sample of a larger folder\'s files, so a write to an unsampled one is seen by verify, not by get); never: always a copy.',
      }),
    ),
  },
  { description: 'Options of @assets/cache-local' },
)

export type LocalCacheOptions = Static<typeof localCacheOptionsSchema>
