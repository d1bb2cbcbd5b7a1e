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
          'Whether an entry may be a hard link to a local storage\'s file on the same filesystem (one copy of the bytes instead of two; reflinks are used wherever the filesystem has them, whatever this says). protected: only where the read-only mode stops a write through the entry (the process is not root); always: also as root, where a write through the path damages the stored file (verify reports it, and so does get, which checks every file of a folder as root unless folderCheck is sample); never: always a copy.',
      }),
    ),
    folderCheck: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('all'), Type.Literal('sample')], {
        default: 'auto',
        description:
          'What get() stats of a folder entry of more than 64 files to see that it is unchanged. all: every file, from the full list kept beside the entry (a write through any of them is a miss, and the entry is fetched again; a stat of each file per get); sample: 64 evenly spread files, a warm get in milliseconds, and a write to another file is seen by verify only; auto: all where the read-only mode does not stop a write through the entry (root, or any process with CAP_DAC_OVERRIDE), else sample.',
      }),
    ),
  },
  { description: 'Options of @assets/cache-local' },
)

export type LocalCacheOptions = Static<typeof localCacheOptionsSchema>
