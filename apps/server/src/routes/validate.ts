import { AssetError } from '@assets/core'
import { DATASET_FORMATS, type DatasetFormat } from '@assets/datasets'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { DatasetValidation } from '../dataset-validation.js'
import { keyParam } from '../key-param.js'
import { RefQuery } from '../schemas.js'

const Key = Type.Object({ '*': Type.String({ description: 'The asset key: path segments of [A-Za-z0-9._-] joined by /' }) })

const ValidateBody = Type.Object(
  {
    schema: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 1024 * 1024 }), Type.Object({}, { additionalProperties: true })], {
        description: 'A built-in schema name (`cellxgene-7.0`), or a declarative schema document (an object, or its YAML/JSON text).',
      }),
    ),
    organism: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Name, enum or NCBITaxon id: gene ids are checked against its prefix.' })),
    values: Type.Optional(Type.Boolean({ description: 'Also read every matrix value: integers, no NaN or ±inf, share of zeros.' })),
    format: Type.Optional(Type.Union(DATASET_FORMATS.map((f) => Type.Literal(f)))),
  },
  { additionalProperties: false },
)

/**
 * `assets validate` on a registered version: the server reads the version it serves (into its
 * own cache) and runs @assets/datasets' validator on it, so that a client checks a dataset
 * against a schema without downloading it. The report names the version, never the server's
 * own paths.
 */
export function validateRoutes(app: FastifyInstance, validation: DatasetValidation): void {
  app.post(
    '/v1/validate/*',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'Validate a registered dataset version against a schema (the report of `assets validate`)',
        params: Key,
        querystring: RefQuery,
        body: ValidateBody,
      },
      // A POST without a body asks for the defaults (no schema, no value checks), as `assets validate <path>` does.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {}
      },
    },
    async (request, reply) => {
      // A client that goes away stops its validation, wherever it is: waiting its turn, the
      // version being read into the cache, or the validator running (the response closes unsent).
      const abort = new AbortController()
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) abort.abort(new Error('the client went away'))
      })
      const key = keyParam(request.params)
      const { ref } = request.query as { ref?: string }
      const body = request.body as { schema?: unknown; organism?: string; values?: boolean; format?: DatasetFormat }
      const record = await request.assets.getMetadata(key, ref ?? 'latest')
      const name = `${record.key}@${record.version}`
      let path = ''
      const prepare = async (signal: AbortSignal) => {
        path = await request.assets.get(record.key, record.version, { signal })
        return path
      }
      try {
        const report = await validation.validate(prepare, { schema: body.schema, organism: body.organism, valueChecks: body.values === true, format: body.format }, abort.signal)
        return { ...hidePath(report, path, name), key: record.key, version: record.version }
      } catch (error) {
        if (!AssetError.isInstance(error) || path === '') throw error
        throw Object.assign(error, { message: error.message.split(path).join(name), ...('issues' in error ? { issues: hidePath(error.issues, path, name) } : {}) })
      }
    },
  )
}

/** `value` with every mention of the server's path to the version replaced by the version's name. */
function hidePath<T>(value: T, path: string, name: string): T {
  return JSON.parse(JSON.stringify(value).split(JSON.stringify(path).slice(1, -1)).join(name)) as T
}
