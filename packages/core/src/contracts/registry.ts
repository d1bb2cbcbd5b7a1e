import type { Principal } from '../acl.js'
import type { AccessControl } from '../acl.js'
import type { Annotation, AssetRecord, AuditEntry } from '../asset-record.js'
import type { CompiledQuery, QueryPage } from '../query.js'
import type { ContentDigest } from '../digest.js'
import type { Actor } from '../acl.js'
import type { GcOptions, GcReport, VerifyOptions, VerifyReport } from '../manager/maintenance.js'
import type { TokenStore } from './tokens.js'

/** Who did it, as recorded in the audit trail: `user:<name>`. */
export interface MutationContext {
  actor: Principal
}

/** What a registry filters on: the actor's principals, or everything for a superuser. */
export interface ReadScope {
  principals: Principal[]
  superuser: boolean
}

/** An audit entry that `register` writes for the version it registers (key, version and actor are the registration's). */
export interface RegisterAuditEntry {
  action: string
  details?: Record<string, unknown>
}

export interface RegisterOptions extends MutationContext {
  tags?: string[]
  /**
   * More audit entries about this registration (a compatibility override …), written in the
   * same transaction as the version: present if and only if this call created the version.
   */
  audit?: RegisterAuditEntry[]
}

export interface RegisterResult {
  /** False when the same version with the same content was already registered (a no-op). */
  created: boolean
  record: AssetRecord
}

export interface LineageEdge {
  from: { key: string; version: string }
  relation: string
  to: { key: string; version: string }
  /** 1 for a direct edge of the asset asked about. */
  depth: number
}

export interface LineageOptions {
  /** `up`: what it came from; `down`: what came from it. */
  direction: 'up' | 'down' | 'both'
  depth: number
  scope: ReadScope
}

/** The action each registry mutation writes to the audit trail; the conformance suite checks them. */
export const AUDIT_ACTIONS = {
  register: 'register',
  setTag: 'set-tag',
  removeTag: 'remove-tag',
  setAccessControl: 'set-acl',
  annotate: 'annotate',
  softDelete: 'soft-delete',
  purge: 'purge',
  recordDigest: 'record-digest',
  tokenCreate: 'token-create',
  tokenRevoke: 'token-revoke',
} as const

export interface AuditFilter {
  key?: string
  action?: string
  limit?: number
}

/**
 * The catalogue. `register` is the commit point of a put: it is atomic with its tags and audit
 * row, a version is immutable, and a second registration of the same version is a no-op when
 * the digest matches and a VersionConflictError when it does not.
 */
export interface Registry {
  readonly name: string
  register(record: AssetRecord, options: RegisterOptions): Promise<RegisterResult>
  /** A version, deleted or not; null when never registered. */
  get(key: string, version: string): Promise<AssetRecord | null>
  /** A version, `latest` or a tag → the exact version (not deleted); null when nothing matches. */
  resolve(key: string, ref: string): Promise<string | null>
  /** Highest first, by semver precedence. */
  listVersions(key: string, options?: { includeDeleted?: boolean }): Promise<AssetRecord[]>
  /** Filters by the query and by read access inside the registry's own query. */
  query(query: CompiledQuery, scope: ReadScope): Promise<QueryPage>
  setTag(key: string, tag: string, version: string, context: MutationContext): Promise<void>
  removeTag(key: string, tag: string, context: MutationContext): Promise<void>
  /** Tag → version for one key. */
  listTags(key: string): Promise<Record<string, string>>
  /** One version, or every version of the key when `version` is omitted. */
  setAccessControl(key: string, version: string | undefined, acl: AccessControl, context: MutationContext): Promise<void>
  annotate(annotation: Annotation, context: MutationContext): Promise<void>
  listAnnotations(key: string, version?: string): Promise<Annotation[]>
  softDelete(key: string, version: string, context: MutationContext): Promise<void>
  lineage(key: string, version: string, options: LineageOptions): Promise<LineageEdge[]>
  /**
   * Records the content digest of a version registered by reference whose digest is still a
   * PinDigest (its bytes had not been read): first writer wins, in one conditional update, and
   * audited. Returns the version as it is afterwards, so a caller whose digest differs from the
   * one recorded (by it or by someone before) can tell. NotFoundError when not registered;
   * a version that holds a content digest already is returned unchanged.
   */
  recordContentDigest(key: string, version: string, digest: ContentDigest, context: MutationContext): Promise<AssetRecord>
  /** Appends to the audit trail (for mutations that do not touch the catalogue, such as gc). */
  recordAudit(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void>
  audit(filter?: AuditFilter): Promise<AuditEntry[]>
  /** Every location a registered version (deleted ones included) points at: what gc keeps. */
  referencedLocations(): AsyncIterable<{ location: string; type: 'file' | 'folder' }>
  /** Versions whose `expiresAt` has passed. */
  expired(now: Date): Promise<AssetRecord[]>
  /** Removes a version row for good (gc of expired outputs); audited. */
  purge(key: string, version: string, context: MutationContext): Promise<void>
  /**
   * Content leases: how puts and gc agree on stored objects without trusting timing. A put
   * holds each location before it checks, reuses or writes it; gc claims the locations it is
   * about to delete. One transaction per call, serialised with every other lease call: a
   * location with a live claim of another holder is refused to `holdContent`, and a location
   * with a live hold of another holder is never claimed. Leases end at `releaseContent` or
   * when `ttlMs` passes without `renewContent` (a killed process leaves nothing lasting).
   */
  holdContent(holder: string, locations: string[], ttlMs: number): Promise<{ refused: string[] }>
  /** Claims what no one holds; returns the locations claimed. */
  claimContent(holder: string, locations: string[], ttlMs: number): Promise<{ claimed: string[] }>
  /** Extends every live lease of `holder` to `ttlMs` from now. */
  renewContent(holder: string, ttlMs: number): Promise<void>
  /** Ends `holder`'s leases on `locations`, or all of them; expired leases of anyone go too. */
  releaseContent(holder: string, locations?: string[]): Promise<void>
  /** Optional: API tokens of the asset server (the SQL registries keep them). */
  readonly tokens?: TokenStore
  /**
   * Optional, for the client of an asset server: operations that run there, on the stack only
   * the server reaches, as the token's actor; the manager hands them over instead of running
   * them on its own parts.
   */
  readonly server?: ServerOperations
  close(): Promise<void>
}

/** What the client of an asset server asks the server to do (see `Registry.server`). */
export interface ServerOperations {
  /** The actor the server knows the caller as: the token's user, groups and roles. */
  whoami(): Promise<Actor>
  verify(key: string | undefined, options: VerifyOptions): Promise<VerifyReport>
  gc(options: GcOptions): Promise<GcReport>
}
