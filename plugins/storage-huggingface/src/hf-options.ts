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
  },
  { description: 'Options of @assets/storage-huggingface' },
)

export type HuggingFaceStorageOptions = Static<typeof huggingFaceStorageOptionsSchema>

export type RepoType = 'model' | 'dataset' | 'space'

export const DEFAULT_ENDPOINT = 'https://huggingface.co'
