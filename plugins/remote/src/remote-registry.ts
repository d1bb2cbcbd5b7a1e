import {
  type AccessControl,
  type Actor,
  type Annotation,
  type AssetRecord,
  type AuditEntry,
  type AuditFilter,
  type CompiledQuery,
  type GcOptions,
  type GcReport,
  type LineageEdge,
  type LineageOptions,
  type QueryPage,
  type Registry,
  type RegisterOptions,
  type RegisterResult,
  type ServerOperations,
  UnsupportedOperationError,
  type VerifyOptions,
  type VerifyReport,
} from '@assets/core'
import { decompileQuery } from './decompile-query.js'
import { RemoteTokens } from './remote-tokens.js'
import { keyPath, type ServerClient } from './server-client.js'

const ON_THE_SERVER = 'runs on the asset server (assets gc there, or POST /v1/gc with an admin token)'

/**
 * The catalogue of an asset server, as a Registry for the manager on this side. Each call is
 * one request, answered by the server's own manager acting as this client's token: the
 * server filters what the token may not read and refuses what it may not change, so nothing
 * here is trusted for access control. Registering sends the stored content's description and
 * the put's choices; the server checks that the content is there and runs its own put.
 */
export class RemoteRegistry implements Registry {
  readonly name = 'remote'
  readonly tokens: RemoteTokens
  readonly server: ServerOperations

  constructor(private readonly client: ServerClient) {
    this.tokens = new RemoteTokens(client)
    this.server = {
      whoami: async () => {
        const actor = await client.json<Actor>('GET', '/v1/whoami')
        if (!actor) throw new UnsupportedOperationError(`${client.base.origin} did not say who this token is`)
        return actor
      },
      verify: async (key: string | undefined, options: VerifyOptions) =>
        (await client.json<VerifyReport>('POST', '/v1/verify', { body: { key, deep: options.deep }, signal: options.signal, slow: true })) as VerifyReport,
      gc: async (options: GcOptions) => (await client.json<GcReport>('POST', '/v1/gc', { body: { dryRun: options.dryRun, graceSeconds: options.graceSeconds }, slow: true })) as GcReport,
    }
  }

  async register(record: AssetRecord, options: RegisterOptions): Promise<RegisterResult> {
    const { key, version, kind, type, digest, size, fileCount, location, fileName, description, metadata, provenance, specs, declarativeSchema, relationships, accessControl, expiresAt } = record
    const body = {
      content: { type, digest, size, fileCount, location },
      metadata,
      options: {
        version,
        kind,
        tags: options.tags,
        fileName,
        description,
        provenance,
        specs,
        declarativeSchema,
        relationships,
        accessControl,
        expiresAt,
        audit: options.audit,
      },
    }
    return (await this.client.json<RegisterResult>('POST', keyPath('/v1/register', key), { body, slow: true })) as RegisterResult
  }

  async get(key: string, version: string): Promise<AssetRecord | null> {
    return (await this.client.json<AssetRecord>('GET', keyPath('/v1/record', key), { query: { version }, accept: [404] })) ?? null
  }

  async resolve(key: string, ref: string): Promise<string | null> {
    const info = await this.client.json<AssetRecord>('GET', keyPath('/v1/info', key), { query: { ref }, accept: [404] })
    return info?.version ?? null
  }

  async listVersions(key: string, options: { includeDeleted?: boolean } = {}): Promise<AssetRecord[]> {
    return (await this.client.json<AssetRecord[]>('GET', keyPath('/v1/versions', key), { query: { deleted: options.includeDeleted === true }, accept: [404] })) ?? []
  }

  async query(query: CompiledQuery): Promise<QueryPage> {
    return (await this.client.json<QueryPage>('POST', '/v1/find', { body: { query: decompileQuery(query) } })) as QueryPage
  }

  async setTag(key: string, tag: string, version: string): Promise<void> {
    await this.client.json('PUT', keyPath('/v1/tags', key), { body: { tag, version } })
  }

  async removeTag(key: string, tag: string): Promise<void> {
    await this.client.json('DELETE', keyPath('/v1/tags', key), { query: { tag } })
  }

  async listTags(key: string): Promise<Record<string, string>> {
    return (await this.client.json<Record<string, string>>('GET', keyPath('/v1/tags', key), { accept: [404] })) ?? {}
  }

  async setAccessControl(key: string, version: string | undefined, acl: AccessControl): Promise<void> {
    await this.client.json('PUT', keyPath('/v1/acl', key), { body: { accessControl: acl, version } })
  }

  async annotate(annotation: Annotation): Promise<void> {
    await this.client.json('POST', keyPath('/v1/annotations', annotation.key), { body: { text: annotation.text, version: annotation.version } })
  }

  async listAnnotations(key: string, version?: string): Promise<Annotation[]> {
    return (await this.client.json<Annotation[]>('GET', keyPath('/v1/annotations', key), { query: { version }, accept: [404] })) ?? []
  }

  async softDelete(key: string, version: string): Promise<void> {
    await this.client.json('DELETE', keyPath('/v1/versions', key), { query: { version } })
  }

  async lineage(key: string, version: string, options: LineageOptions): Promise<LineageEdge[]> {
    const result = await this.client.json<{ edges: LineageEdge[] }>('GET', keyPath('/v1/lineage', key), {
      query: { version, direction: options.direction, depth: options.depth },
    })
    return result?.edges ?? []
  }

  recordContentDigest(key: string, version: string): Promise<AssetRecord> {
    return Promise.reject(new UnsupportedOperationError(`${key}@${version}: the digest of a reference is recorded by the asset server when it reads it`))
  }

  recordAudit(_entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    return Promise.reject(new UnsupportedOperationError('the audit trail of an asset server is written by the server'))
  }

  async audit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    return (await this.client.json<AuditEntry[]>('GET', '/v1/audit', { query: { key: filter.key, action: filter.action, limit: filter.limit } })) ?? []
  }

  // biome-ignore lint/correctness/useYield: refuses before anything is listed
  async *referencedLocations(): AsyncIterable<{ location: string; type: 'file' | 'folder' }> {
    throw new UnsupportedOperationError(`listing stored content ${ON_THE_SERVER}`)
  }

  expired(): Promise<AssetRecord[]> {
    return Promise.reject(new UnsupportedOperationError(`expiry ${ON_THE_SERVER}`))
  }

  purge(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(`purging ${ON_THE_SERVER}`))
  }

  async holdContent(holder: string, locations: string[], ttlMs: number): Promise<{ refused: string[] }> {
    return (await this.client.json<{ refused: string[] }>('POST', '/v1/leases', { body: { op: 'hold', holder, locations, ttlMs } })) ?? { refused: [] }
  }

  claimContent(): Promise<{ claimed: string[] }> {
    return Promise.reject(new UnsupportedOperationError(`claiming content for deletion ${ON_THE_SERVER}`))
  }

  async renewContent(holder: string, ttlMs: number): Promise<void> {
    await this.client.json('POST', '/v1/leases', { body: { op: 'renew', holder, ttlMs } })
  }

  async releaseContent(holder: string, locations?: string[]): Promise<void> {
    await this.client.json('POST', '/v1/leases', { body: { op: 'release', holder, locations } })
  }

  close(): Promise<void> {
    return this.client.close()
  }
}

