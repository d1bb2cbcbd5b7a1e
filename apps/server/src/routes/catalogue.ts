import { type AssetQuery, normalizeVersion } from '@assets/core'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { keyParam } from '../key-param.js'
import {
  AclBody,
  AnnotationBody,
  AuditQuery,
  FindBody,
  LineageQuery,
  OptionalVersionQuery,
  RecordSchema,
  RefQuery,
  TagBody,
  TagQuery,
  VersionQuery,
} from '../schemas.js'

const Key = Type.Object({ '*': Type.String({ description: 'The asset key: path segments of [A-Za-z0-9._-] joined by /' }) })

/**
 * The catalogue: every read and change of metadata, each one manager call as the token's
 * actor, so that the access rules are the manager's own and not written again here.
 */
export function catalogueRoutes(app: FastifyInstance): void {
  app.post('/v1/find', { schema: { tags: ['catalogue'], summary: 'Find versions with the query language', body: FindBody } }, async (request) => {
    const { query } = request.body as { query?: AssetQuery }
    return request.assets.findAssets(query ?? {})
  })

  app.get('/v1/info/*', { schema: { tags: ['catalogue'], summary: 'One version (latest by default), with its tags', params: Key, querystring: RefQuery } }, async (request) => {
    const { ref } = request.query as { ref?: string }
    return request.assets.getMetadata(keyParam(request.params), ref ?? 'latest')
  })

  app.get(
    '/v1/record/*',
    { schema: { tags: ['catalogue'], summary: 'One exact version, deleted or not', params: Key, querystring: VersionQuery, response: { 200: RecordSchema } } },
    async (request) => {
      const key = keyParam(request.params)
      const version = normalizeVersion((request.query as { version: string }).version)
      return request.assets.getVersion(key, version)
    },
  )

  app.get(
    '/v1/versions/*',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'Every readable version, highest first',
        params: Key,
        querystring: Type.Object({ deleted: Type.Optional(Type.Boolean()) }),
      },
    },
    async (request) => {
      const { deleted } = request.query as { deleted?: boolean }
      return request.assets.listVersions(keyParam(request.params), { includeDeleted: deleted === true })
    },
  )

  app.delete('/v1/versions/*', { schema: { tags: ['catalogue'], summary: 'Delete a version (soft: it stays in lineage and audit)', params: Key, querystring: VersionQuery } }, async (request, reply) => {
    await request.assets.delete(keyParam(request.params), (request.query as { version: string }).version)
    return reply.code(204).send()
  })

  app.get('/v1/tags/*', { schema: { tags: ['catalogue'], summary: 'Tag → version', params: Key } }, async (request) => request.assets.listTags(keyParam(request.params)))

  app.put('/v1/tags/*', { schema: { tags: ['catalogue'], summary: 'Point a tag at a version', params: Key, body: TagBody } }, async (request, reply) => {
    const { tag, version } = request.body as { tag: string; version: string }
    await request.assets.tag(keyParam(request.params), tag, version)
    return reply.code(204).send()
  })

  app.delete('/v1/tags/*', { schema: { tags: ['catalogue'], summary: 'Remove a tag', params: Key, querystring: TagQuery } }, async (request, reply) => {
    await request.assets.untag(keyParam(request.params), (request.query as { tag: string }).tag)
    return reply.code(204).send()
  })

  app.put('/v1/acl/*', { schema: { tags: ['catalogue'], summary: 'Change who may read, write or administer (admins only)', params: Key, body: AclBody } }, async (request) => {
    const { accessControl, version } = request.body as { accessControl: Record<string, unknown>; version?: string }
    return request.assets.setAccessControl(keyParam(request.params), accessControl, version)
  })

  app.get('/v1/annotations/*', { schema: { tags: ['catalogue'], summary: 'Annotations of an asset or one version', params: Key, querystring: OptionalVersionQuery } }, async (request) =>
    request.assets.listAnnotations(keyParam(request.params), (request.query as { version?: string }).version),
  )

  app.post('/v1/annotations/*', { schema: { tags: ['catalogue'], summary: 'Annotate a version (as the token’s user)', params: Key, body: AnnotationBody } }, async (request, reply) => {
    const { text, version } = request.body as { text: string; version?: string }
    const annotation = await request.assets.annotate(keyParam(request.params), text, undefined, version ?? 'latest')
    return reply.code(201).send(annotation)
  })

  app.get('/v1/lineage/*', { schema: { tags: ['catalogue'], summary: 'Edges up and down from a version, through readable assets only', params: Key, querystring: LineageQuery } }, async (request) => {
    const { version, direction, depth } = request.query as { version?: string; direction?: 'up' | 'down' | 'both'; depth?: number }
    return request.assets.lineage(keyParam(request.params), { version, direction, depth })
  })

  app.get('/v1/audit', { schema: { tags: ['catalogue'], summary: 'The audit trail of one asset (its admins) or of everything (admin role)', querystring: AuditQuery } }, async (request) =>
    request.assets.audit(request.query as { key?: string; action?: string; limit?: number }),
  )
}
