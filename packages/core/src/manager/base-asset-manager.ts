import { type AccessControl, type Actor, isSuperuser, normalizeAccessControl, validateActor } from '../acl.js'
import type { Annotation, AssetKind, AssetRecord, AuditEntry } from '../asset-record.js'
import type { AuditFilter, LineageEdge } from '../contracts/registry.js'
import type { Validator } from '../contracts/validator.js'
import { AccessDeniedError, InvalidInputError, NotFoundError } from '../errors/index.js'
import { validateKey } from '../key.js'
import { type AssetQuery, compileQuery, type QueryPage } from '../query.js'
import { isVersion, normalizeVersion } from '../semver.js'
import { canRead, notFound, presentRecord, readScope, requirePermission, requireSuperuser } from './access-guard.js'
import { type GetOptions, getContent, type StreamOptions, streamContent } from './fetch-asset.js'
import { type DescribeReferenceOptions, isUnhashedReference } from './external-reference.js'
import { collectGarbage, type GcOptions, type GcReport, type VerifyOptions, type VerifyReport, verifyContent } from './maintenance.js'
import type { ManagerInternals, ManagerParts } from './manager-parts.js'
import { MetadataCache } from './metadata-cache.js'
import { namedDirOf, sweepNamedLinks } from './named-path.js'
import { type PutOptions, type PutResult, putAsset, validateTag } from './put-asset.js'
import type { StoredContentClaim } from './stored-content.js'

export interface AssetInfo extends AssetRecord {
  /** Tags (and `latest`) that point at this version. */
  tags: string[]
}

export interface AssetLineageOptions {
  version?: string
  /** `up`: what it came from; `down`: what came from it. Default both. */
  direction?: 'up' | 'down' | 'both'
  /** Default 10. */
  depth?: number
}

export interface LineageResult {
  root: { key: string; version: string }
  edges: LineageEdge[]
}

const MAX_LINEAGE_DEPTH = 100

/**
 * Validates, stores, versions, caches, finds and streams assets on one stack (storage,
 * registry, cache), acting as one actor whose access is checked on every call. Subclasses
 * (datasets, models …) add kinds of validation; `as()` gives another actor's view.
 */
export class BaseAssetManager {
  readonly actor: Actor
  protected readonly parts: ManagerInternals

  constructor(parts: ManagerParts, actor: Actor) {
    const { cache, metadataTtl } = parts
    this.parts = {
      ...parts,
      validators: parts.validators ?? [],
      metadata: 'metadata' in parts ? (parts as ManagerInternals).metadata : cache && metadataTtl ? new MetadataCache(cache, parts.registry, metadataTtl) : undefined,
    }
    this.actor = validateActor(actor)
  }

  /** The stack this manager runs on, so a specialised manager (datasets, models …) can share it. */
  stack(): ManagerParts {
    return this.parts
  }

  /** The same stack seen by another actor; validators and plugins are shared. */
  as(actor: Actor): BaseAssetManager {
    return new BaseAssetManager(this.parts, actor)
  }

  get storage() {
    return this.parts.storage
  }

  get registry() {
    return this.parts.registry
  }

  get cache() {
    return this.parts.cache ?? null
  }

  /** Runs before every put of the given kinds (all kinds by default); throw a ValidationError to refuse. */
  registerValidator(validate: Validator, options: { kinds?: AssetKind[] } = {}): void {
    this.parts.validators.push({ validate, kinds: options.kinds })
  }

  async put(key: string, localPath: string, metadata: Record<string, unknown> = {}, options: PutOptions = {}): Promise<PutResult> {
    const result = await putAsset(this.parts, this.actor, key, localPath, metadata, options)
    await this.changed(key)
    return presentRecord(this.parts.registry, this.actor, result)
  }

  /**
   * Registers an object the storage did not write (`s3://bucket/datasets/x.h5ad`) without
   * copying it: it is hashed in one read, and its ETag / version id are recorded, so `get`,
   * `stream` and `verify` notice when it changes underneath. gc never deletes it. With
   * `hash: false` only a HEAD is made: the pin (size, ETag, version id) is checked on every read
   * and the first full read records the sha256, which every later read then checks. `reader` /
   * `endpoint`: read it through a reference reader (an anonymous S3 client, at a mirror).
   */
  async putReference(
    key: string,
    uri: string,
    metadata: Record<string, unknown> = {},
    options: PutOptions & Omit<DescribeReferenceOptions, 'signal'> = {},
  ): Promise<PutResult> {
    const { hash, reader, endpoint, ...put } = options
    const result = await putAsset(this.parts, this.actor, key, { reference: uri, hash, reader, endpoint }, metadata, put)
    await this.changed(key)
    return presentRecord(this.parts.registry, this.actor, result)
  }

  /**
   * Registers content already stored at its blob location (`blobLocation(digest)`): what an
   * asset server does after its client uploaded the blobs to it. Checked like any put but for
   * validators (the content is not local); the blobs (a folder's manifest and every file) must
   * be there with the claimed sizes, else IntegrityError and nothing is registered. The file
   * name is only `options.fileName`.
   */
  async putStored(key: string, content: StoredContentClaim, metadata: Record<string, unknown> = {}, options: PutOptions = {}): Promise<PutResult> {
    const result = await putAsset(this.parts, this.actor, key, { stored: content }, metadata, options)
    await this.changed(key)
    return presentRecord(this.parts.registry, this.actor, result)
  }

  /**
   * Local path of the content (a file, or a folder for folder assets), through the cache. Its
   * last segment is the version's file name (`pbmc.h5ad`), so readers that go by extension work.
   * Without a cache it is in a new folder under scratchDir: that folder is the caller's to remove.
   */
  async get(key: string, ref = 'latest', options: GetOptions = {}): Promise<string> {
    const record = await this.readable(key, ref)
    const path = await getContent(this.parts, record, options, this.context())
    // The first read of a reference recorded its digest: cached look-ups still hold the pin.
    if (isUnhashedReference(record)) await this.changed(key)
    return path
  }

  /** Removes the file-name links of cache entries that are gone (after a prune or a clear). */
  async sweepNamedLinks(): Promise<number> {
    return sweepNamedLinks(await namedDirOf(this.parts))
  }

  async stream(key: string, ref = 'latest', options: StreamOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    return streamContent(this.parts, await this.readable(key, ref), options, this.context())
  }

  async getMetadata(key: string, ref = 'latest'): Promise<AssetInfo> {
    const record = await this.readable(key, ref)
    const tags = Object.entries(await this.parts.registry.listTags(key))
      .filter(([, v]) => v === record.version)
      .map(([t]) => t)
    const latest = await this.parts.registry.resolve(key, 'latest')
    return presentRecord(this.parts.registry, this.actor, { ...record, tags: latest === record.version ? ['latest', ...tags] : tags })
  }

  /** Versions the actor may read, highest first; deleted ones only when asked. */
  async listVersions(key: string, options: { includeDeleted?: boolean } = {}): Promise<AssetRecord[]> {
    const readable = await this.readableVersions(key)
    const seen = new Map<string, Promise<boolean>>()
    const listed = readable.filter((r) => options.includeDeleted || !r.deletedAt)
    return Promise.all(listed.map((r) => presentRecord(this.parts.registry, this.actor, r, seen)))
  }

  /** One exact version, deleted or not, if the actor may read it (one registry read, not a listing). */
  async getVersion(key: string, version: string): Promise<AssetRecord> {
    return presentRecord(this.parts.registry, this.actor, await this.record(key, version))
  }

  async findAssets(query: AssetQuery = {}): Promise<QueryPage> {
    const page = await this.parts.registry.query(compileQuery(query), readScope(this.actor))
    const seen = new Map<string, Promise<boolean>>()
    return { ...page, items: await Promise.all(page.items.map((r) => presentRecord(this.parts.registry, this.actor, r, seen))) }
  }

  async tag(key: string, tag: string, ref: string): Promise<void> {
    validateTag(tag)
    const record = await this.readable(key, ref)
    requirePermission(this.actor, record, 'write', 'tag')
    await this.parts.registry.setTag(key, tag, record.version, this.context())
    await this.changed(key)
  }

  async untag(key: string, tag: string): Promise<void> {
    validateTag(tag)
    const version = (await this.parts.registry.listTags(validateKey(key)))[tag]
    const target = version === undefined ? null : await this.parts.registry.get(key, version)
    // A tag on a version the actor may not read is answered as one that does not exist.
    if (!target || !canRead(this.actor, target)) throw new NotFoundError(`${key} has no tag "${tag}"`)
    requirePermission(this.actor, target, 'write', 'untag')
    await this.parts.registry.removeTag(key, tag, this.context())
    await this.changed(key)
  }

  /** The tags on versions the actor may read: a tag must not reveal a version they may not. */
  async listTags(key: string): Promise<Record<string, string>> {
    const readable = new Set((await this.readableVersions(key)).map((r) => r.version))
    return Object.fromEntries(Object.entries(await this.parts.registry.listTags(key)).filter(([, v]) => readable.has(v)))
  }

  /** Replaces the ACL of one version, or of every version when none is given. */
  async setAccessControl(key: string, acl: Partial<AccessControl>, version?: string): Promise<AccessControl> {
    const targets = version === undefined ? await this.parts.registry.listVersions(validateKey(key), { includeDeleted: true }) : [await this.record(key, version)]
    const readable = targets.filter((t) => canRead(this.actor, t))
    if (readable.length === 0) throw notFound(key)
    // Refused without naming the versions the actor may not read.
    if (readable.length < targets.length) {
      throw new AccessDeniedError(`user "${this.actor.user}" may not change access to every version of ${key}: it needs admin access to each`)
    }
    for (const t of targets) requirePermission(this.actor, t, 'admin', 'change access to')
    const current = targets[0]!.accessControl
    const next = normalizeAccessControl({ ...current, ...acl, owner: acl.owner ?? current.owner })
    await this.parts.registry.setAccessControl(key, version === undefined ? undefined : targets[0]!.version, next, this.context())
    await this.changed(key)
    return next
  }

  /** Adds a note to a version; `user` defaults to the actor and is recorded alongside it in the audit trail. */
  async annotate(key: string, text: string, user?: string, version = 'latest'): Promise<Annotation> {
    if (typeof text !== 'string' || text.trim() === '' || text.length > 10_000) {
      throw new InvalidInputError('an annotation needs 1 to 10000 characters of text')
    }
    const record = await this.readable(key, version)
    requirePermission(this.actor, record, 'write', 'annotate')
    const annotation: Annotation = { key, version: record.version, text, user: user ?? this.actor.user, createdAt: new Date().toISOString() }
    await this.parts.registry.annotate(annotation, this.context())
    return annotation
  }

  async listAnnotations(key: string, version?: string): Promise<Annotation[]> {
    const record = await this.readable(key, version ?? 'latest')
    const annotations = await this.parts.registry.listAnnotations(key, version === undefined ? undefined : record.version)
    if (version !== undefined || isSuperuser(this.actor)) return annotations
    const readable = new Set((await this.readableVersions(key)).map((r) => r.version))
    return annotations.filter((a) => readable.has(a.version))
  }

  /** Soft delete: the version stays in the audit trail and its number is never reused. */
  async delete(key: string, version: string): Promise<void> {
    const record = await this.record(key, normalizeVersion(version))
    requirePermission(this.actor, record, 'admin', 'delete')
    if (record.deletedAt) return
    await this.parts.registry.softDelete(key, record.version, this.context())
    await this.changed(key)
  }

  async lineage(key: string, options: AssetLineageOptions = {}): Promise<LineageResult> {
    const depth = options.depth ?? 10
    if (!Number.isSafeInteger(depth) || depth < 1 || depth > MAX_LINEAGE_DEPTH) {
      throw new InvalidInputError(`lineage depth must be from 1 to ${MAX_LINEAGE_DEPTH}`)
    }
    const direction = options.direction ?? 'both'
    if (!['up', 'down', 'both'].includes(direction)) throw new InvalidInputError('direction must be up, down or both')
    const record = await this.readable(key, options.version ?? 'latest')
    const edges = await this.parts.registry.lineage(key, record.version, { direction, depth, scope: readScope(this.actor) })
    const id = (n: { key: string; version: string }) => `${n.key}@${n.version}`
    edges.sort((a, b) => a.depth - b.depth || id(a.from).localeCompare(id(b.from)) || id(a.to).localeCompare(id(b.to)))
    return { root: { key, version: record.version }, edges }
  }

  /** Re-reads stored content against its digests: one asset's versions, or every readable version. */
  async verify(key?: string, options: VerifyOptions = {}): Promise<VerifyReport> {
    // Through an asset server, its stack is checked there: reading it all over the network here would prove less.
    if (this.parts.registry.server) return this.parts.registry.server.verify(key, options)
    const records = key === undefined ? undefined : await this.listVersions(key)
    return verifyContent(this.parts, this.actor, records, options)
  }

  /** Removes unreferenced content and expired temporary versions. Needs the admin role. */
  async gc(options: GcOptions = {}): Promise<GcReport> {
    requireSuperuser(this.actor, 'collect garbage')
    if (this.parts.registry.server) return this.parts.registry.server.gc(options)
    const report = await collectGarbage(this.parts, this.actor, options)
    if (!report.dryRun) for (const { key } of report.purgedVersions) await this.changed(key)
    return report
  }

  /** The audit trail of one asset (admin on it), or of everything (admin role). */
  async audit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    if (filter.key === undefined) requireSuperuser(this.actor, 'read the whole audit trail')
    else requirePermission(this.actor, await this.readable(filter.key, 'latest'), 'admin', 'read the audit trail of')
    return this.parts.registry.audit(filter)
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.parts.storage.close(), this.parts.registry.close(), this.parts.cache?.close(), this.parts.referenceReaders?.close()])
  }

  /** After a committed change: no worker may be served the key's cached look-ups any more. */
  protected async changed(key: string): Promise<void> {
    await this.parts.metadata?.invalidate(key)
  }

  protected context() {
    return { actor: `user:${this.actor.user}` }
  }

  /** A version as registered, deleted or not (exact version only), if the actor may read it. */
  protected async record(key: string, version: string): Promise<AssetRecord> {
    validateKey(key)
    const record = await this.parts.registry.get(key, normalizeVersion(version))
    if (!record || !canRead(this.actor, record)) throw notFound(key, version)
    return record
  }

  /**
   * Every version of a key the actor may read, deleted ones included, highest first. None is
   * the same answer as for a key never registered (DESIGN §5.9).
   */
  protected async readableVersions(key: string): Promise<AssetRecord[]> {
    validateKey(key)
    const readable = (await this.parts.registry.listVersions(key, { includeDeleted: true })).filter((r) => canRead(this.actor, r))
    if (readable.length === 0) throw notFound(key)
    return readable
  }

  /** Resolves a version, tag or `latest`, refuses deleted versions, and checks read access. */
  protected async readable(key: string, ref: string): Promise<AssetRecord> {
    validateKey(key)
    if (typeof ref !== 'string' || ref === '') throw new InvalidInputError('a version, tag or "latest" is required')
    const record = this.parts.metadata ? await this.parts.metadata.lookup(key, ref) : await this.lookup(key, ref)
    // `latest` is the key's highest release for everyone (as in findAssets): when that version
    // is not readable, the key answers as missing, not with an older version.
    if (record === null) {
      if (isVersion(ref)) {
        const deleted = await this.parts.registry.get(key, normalizeVersion(ref))
        if (deleted && canRead(this.actor, deleted)) throw new NotFoundError(`asset ${key}@${deleted.version} was deleted`)
      }
      throw notFound(key, ref)
    }
    if (!canRead(this.actor, record)) throw notFound(key, ref)
    return record
  }

  private async lookup(key: string, ref: string): Promise<AssetRecord | null> {
    const version = await this.parts.registry.resolve(key, ref)
    return version === null ? null : this.parts.registry.get(key, version)
  }
}
