import { type Static, Type } from '@assets/core'

export const huggingFaceStorageOptionsSchema = Type.Object(
  {
    repo: Type.String({
      minLength: 1,
      description: 'Repository id, `namespace/name` (e.g. `czbiohub/benchmark-data`).',
    }),
    repoType: Type.Optional(
      Type.Union([Type.Literal('model'), Type.Literal('dataset'), Type.Literal('space')], {
        description: 'Kind of repository (default `model`).',
      }),
    ),
    revision: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Branch, tag or commit sha that locations are read from (default `main`). Writes need a branch.',
      }),
    ),
    token: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Hugging Face user access token (`hf_…`, env HF_TOKEN). Needed for private and gated repositories and for writes.',
      }),
    ),
    endpoint: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Hub URL (env HF_ENDPOINT, default https://huggingface.co). Plain http:// needs ALLOW_INSECURE_STORAGE=true.',
      }),
    ),
    readOnly: Type.Optional(Type.Boolean({ description: 'Never write, even with a token and a branch (default false).' })),
    rangeSize: Type.Optional(
      Type.Integer({ minimum: 1 << 20, maximum: 1 << 30, description: 'Bytes per ranged GET of an LFS file larger than one range (default 8 MiB).' }),
    ),
    rangeConcurrency: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 64, description: 'Ranged GETs in flight per LFS file, as hf_transfer (default 8).' }),
    ),
    journalDir: Type.Optional(
      Type.String({ minLength: 1, description: 'Folder of the range journals a crashed download resumes from (default <cacheDir>/hf-journals).' }),
    ),
  },
  { description: 'Options of @assets/storage-huggingface' },
)

export type HuggingFaceStorageOptions = Static<typeof huggingFaceStorageOptionsSchema>

export type RepoType = 'model' | 'dataset' | 'space'

export const DEFAULT_ENDPOINT = 'https://huggingface.co'
export const DEFAULT_RANGE_SIZE = 8 << 20
export const DEFAULT_RANGE_CONCURRENCY = 8
