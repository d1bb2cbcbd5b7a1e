import { Type } from '@sinclair/typebox'

/**
 * The request and response shapes of the API, from which Fastify validates requests and the
 * OpenAPI document is generated. Records are described by their fixed fields and stay open
 * (metadata is free), so a response is never cut down by its schema.
 */
export const ErrorSchema = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), issues: Type.Optional(Type.Array(Type.Unknown())) }) },
  { $id: 'Error', description: 'Every error: a stable code (ASSET_NOT_FOUND, ACCESS_DENIED, UNAUTHENTICATED …) and a message.' },
)

export const AccessControlSchema = Type.Object(
  { owner: Type.String(), read: Type.Array(Type.String()), write: Type.Array(Type.String()), admin: Type.Array(Type.String()) },
  { additionalProperties: false },
)

export const RecordSchema = Type.Object(
  {
    key: Type.String(),
    version: Type.String(),
    kind: Type.String(),
    type: Type.Union([Type.Literal('file'), Type.Literal('folder')]),
    digest: Type.String(),
    size: Type.Integer(),
    fileCount: Type.Integer(),
    location: Type.String(),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    createdBy: Type.String(),
    createdAt: Type.String(),
  },
  { additionalProperties: true, description: 'One registered version (see AssetRecord in @assets/core).' },
)

export const ActorSchema = Type.Object({ user: Type.String(), groups: Type.Array(Type.String()), roles: Type.Array(Type.String()) })

export const RefQuery = Type.Object({ ref: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'A version, a tag or "latest" (default).' })) })
export const VersionQuery = Type.Object({ version: Type.String({ minLength: 1, maxLength: 256 }) })
export const OptionalVersionQuery = Type.Object({ version: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) })

export const FindBody = Type.Object(
  { query: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'An AssetQuery: where, kind, tag, text, keyPrefix, createdAfter/Before, allVersions, includeDeleted, sort, limit, cursor.' })) },
  { additionalProperties: false },
)

export const TagBody = Type.Object({ tag: Type.String({ minLength: 1, maxLength: 128 }), version: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false })
export const TagQuery = Type.Object({ tag: Type.String({ minLength: 1, maxLength: 128 }) })

export const AclBody = Type.Object(
  {
    accessControl: Type.Object(
      { owner: Type.Optional(Type.String()), read: Type.Optional(Type.Array(Type.String())), write: Type.Optional(Type.Array(Type.String())), admin: Type.Optional(Type.Array(Type.String())) },
      { additionalProperties: false },
    ),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
)

export const AnnotationBody = Type.Object({ text: Type.String({ minLength: 1 }), version: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }, { additionalProperties: false })

export const LineageQuery = Type.Object({
  version: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  direction: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('both')])),
  depth: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
})

export const AuditQuery = Type.Object({
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
})

export const VerifyBody = Type.Object({ key: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })), deep: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
export const GcBody = Type.Object(
  { dryRun: Type.Optional(Type.Boolean()), graceSeconds: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
)

export const StoredContentSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('file'), Type.Literal('folder')]),
    digest: Type.String({ pattern: '^sha256:[0-9a-f]{64}$' }),
    size: Type.Integer({ minimum: 0 }),
    fileCount: Type.Integer({ minimum: 0 }),
    location: Type.String({ minLength: 1, maxLength: 512 }),
  },
  { additionalProperties: false, description: 'Content already uploaded with PUT /v1/blobs/…: the server checks that it is stored.' },
)

export const RegisterBody = Type.Object(
  {
    content: StoredContentSchema,
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    options: Type.Optional(
      Type.Object(
        {
          version: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
          kind: Type.Optional(Type.String()),
          tags: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
          fileName: Type.Optional(Type.String()),
          description: Type.Optional(Type.String()),
          provenance: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          specs: Type.Optional(Type.Unknown()),
          declarativeSchema: Type.Optional(Type.Unknown()),
          relationships: Type.Optional(
            Type.Array(Type.Object({ relation: Type.String(), key: Type.String(), version: Type.Optional(Type.String()) }, { additionalProperties: false }), {
              maxItems: 1000,
            }),
          ),
          accessControl: Type.Optional(AccessControlSchema),
          expiresAt: Type.Optional(Type.String()),
          digest: Type.Optional(Type.String()),
          audit: Type.Optional(Type.Array(Type.Object({ action: Type.String({ maxLength: 64 }), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }), { maxItems: 10 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

export const LeaseBody = Type.Object(
  {
    op: Type.Union([Type.Literal('hold'), Type.Literal('renew'), Type.Literal('release')]),
    holder: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
    locations: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { maxItems: 1000 })),
    ttlMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
  },
  { additionalProperties: false },
)

export const ContentQuery = Type.Object({
  ref: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'A version, a tag or "latest" (default).' })),
  location: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'A blob of the version: its content or, for a folder, one of its files.' })),
  path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'For a folder: the file by its path in the folder.' })),
})

export const PresignBody = Type.Object(
  {
    method: Type.Union([Type.Literal('GET'), Type.Literal('PUT')]),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    ref: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    location: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    digest: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)

export const PresignCompleteBody = Type.Object(
  {
    uploadId: Type.String({ pattern: '^[0-9a-f]{32}$', description: 'As POST /v1/presign answered a PUT' }),
    digest: Type.String({ pattern: '^sha256:[0-9a-f]{64}$' }),
    size: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
)

export const TokenBody = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 128 }),
    groups: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
    roles: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
    expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    expiresAt: Type.Optional(Type.String({ maxLength: 64 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    hash: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  },
  { additionalProperties: false },
)
