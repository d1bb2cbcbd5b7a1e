import {
  AUDIT_ACTIONS,
  type AccessControl,
  type Annotation,
  type AssetRecord,
  type AuditEntry,
  type AuditFilter,
  buildMetadataConflict,
  checkLeaseArguments,
  BackendUnavailableError,
  type CompiledQuery,
  type ContentDigest,
  isContentDigest,
  compareVersions,
  encodeCursor,
  InvalidInputError,
  isVersion,
  type LineageEdge,
  type LineageOptions,
  type MutationContext,
  type RegisterOptions,
  registerAuditEntries,
  NotFoundError,
  normalizeAccessControl,
  normalizeVersion,
  type QueryPage,
  type ReadScope,
  type RegisterResult,
  type Registry,
  VersionConflictError,
  validateKey,
  validateTag,
  isoTime,
  nonEmpty,
  normalizeRecord,
} from '@assets/core'
import type BetterSqlite3 from 'better-sqlite3'
import { releaseLeases, renewLeases, takeLeases } from './content-leases.js'
import { appendAudit, readAudit } from './audit-log.js'
import { refreshLatest } from './latest-flags.js'
import { walkLineage } from './lineage.js'
import { samePrecedence } from './version-precedence.js'
import { openDatabase, wrapSqliteError } from './open-database.js'
import { compileToSql } from './query-compiler.js'
import { recordToRow, rowToRecord, type VersionRow } from './record-row.js'
import type { SqlValue } from './sql-fragment.js'
import { DEFAULT_BUSY_TIMEOUT_MS, type SqliteRegistryOptions } from './sqlite-options.js'

const LOCATION_PAGE = 1000


const INSERT_VERSION = `INSERT INTO versions (
  key, version, kind, type, digest, size, file_count, location, description, metadata, provenance, specs,
  declarative_schema, relationships, acl, created_by, created_at, expires_at, v_major, v_minor, v_patch, v_prerelease,
  metadata_sig, file_name
) VALUES (
  @key, @version, @kind, @type, @digest, @size, @file_count, @location, @description, @metadata, @provenance, @specs,
  @declarative_schema, @relationships, @acl, @created_by, @created_at, @expires_at, @v_major, @v_minor, @v_patch, @v_prerelease,
  @metadata_sig, @file_name
)`

/**
 * The catalogue in one SQLite file, shared safely by several processes: WAL, a busy timeout,
 * and every mutation (with its audit row and the latest flags) in one BEGIN IMMEDIATE
 * transaction, so writers queue instead of interleaving.
 */
export class SqliteRegistry implements Registry {
  readonly name = 'sqlite'
  private db: BetterSqlite3.Database | undefined
  private closed = false

  constructor(private readonly options: SqliteRegistryOptions) {}

  async register(input: AssetRecord, options: RegisterOptions): Promise<RegisterResult> {
    const record = normalizeRecord(input)
    const tags = [...new Set((options.tags ?? []).map(validateTag))]
    const actor = checkActor(options)
    const extra = registerAuditEntries(options.audit)
    return this.write('register', (db) => {
      const existing = this.row(db, record.key, record.version)
      if (existing) {
        if (existing.digest === record.digest) return { created: false, record: rowToRecord(existing) }
        throw new VersionConflictError(
          `${record.key}@${record.version} is already registered with ${existing.digest}, not ${record.digest}: ` +
            'a version is immutable, register the new content as a new version',
        )
      }
      const twin = samePrecedence(db, record.key, record.version)
      if (twin) throw buildMetadataConflict(record.key, record.version, twin)
      db.prepare(INSERT_VERSION).run(recordToRow(record))
      const edge = db.prepare('INSERT OR IGNORE INTO relationships (from_key, from_version, relation, to_key, to_version) VALUES (?, ?, ?, ?, ?)')
      for (const r of record.relationships) edge.run(record.key, record.version, r.relation, r.key, r.version)
      for (const tag of tags) upsertTag(db, record.key, tag, record.version)
      refreshLatest(db, record.key)
      appendAudit(db, { actor, action: AUDIT_ACTIONS.register, key: record.key, version: record.version, details: { digest: record.digest, tags } })
      for (const entry of extra) appendAudit(db, { actor, action: entry.action, key: record.key, version: record.version, details: entry.details })
      return { created: true, record: rowToRecord(this.row(db, record.key, record.version)!) }
    })
  }

  async get(key: string, version: string): Promise<AssetRecord | null> {
    validateKey(key)
    const exact = normalizeVersion(version)
    return this.read('get', (db) => {
      const row = this.row(db, key, exact)
      return row ? rowToRecord(row) : null
    })
  }

  async resolve(key: string, ref: string): Promise<string | null> {
    validateKey(key)
    return this.read('resolve', (db) => {
      const version = (sql: string, ...params: string[]): string | null =>
        db.prepare<string[], { version: string }>(sql).get(key, ...params)?.version ?? null
      if (ref === 'latest') return version('SELECT version FROM versions WHERE key = ? AND is_latest = 1')
      if (isVersion(ref)) return version('SELECT version FROM versions WHERE key = ? AND version = ? AND deleted_at IS NULL', normalizeVersion(ref))
      return version(
        `SELECT t.version FROM tags AS t JOIN versions AS v ON v.key = t.key AND v.version = t.version
         WHERE t.key = ? AND t.tag = ? AND v.deleted_at IS NULL`,
        ref,
      )
    })
  }

  async listVersions(key: string, options: { includeDeleted?: boolean } = {}): Promise<AssetRecord[]> {
    validateKey(key)
    const rows = await this.read('listVersions', (db) =>
      db
        .prepare<[string], VersionRow>(`SELECT * FROM versions WHERE key = ? ${options.includeDeleted ? '' : 'AND deleted_at IS NULL'}`)
        .all(key),
    )
    return rows.map(rowToRecord).sort((a, b) => compareVersions(b.version, a.version))
  }

  async query(query: CompiledQuery, scope: ReadScope): Promise<QueryPage> {
    const { sql, params } = compileToSql(query, scope)
    const rows = await this.read('query', (db) => db.prepare<SqlValue[], VersionRow>(sql).all(...params))
    const items = rows.slice(0, query.limit).map(rowToRecord)
    return rows.length > query.limit ? { items, nextCursor: encodeCursor(query.offset + query.limit) } : { items }
  }

  async setTag(key: string, tag: string, version: string, context: MutationContext): Promise<void> {
    validateKey(key)
    validateTag(tag)
    const exact = normalizeVersion(version)
    const actor = checkActor(context)
    await this.write('setTag', (db) => {
      const row = this.row(db, key, exact)
      if (!row) throw new NotFoundError(`cannot tag ${key}@${exact}: that version is not registered`)
      if (row.deleted_at !== null) throw new NotFoundError(`cannot tag ${key}@${exact}: that version was deleted`)
      const previous = upsertTag(db, key, tag, exact)
      appendAudit(db, { actor, action: AUDIT_ACTIONS.setTag, key, version: exact, details: { tag, previous } })
    })
  }

  async removeTag(key: string, tag: string, context: MutationContext): Promise<void> {
    validateKey(key)
    const actor = checkActor(context)
    await this.write('removeTag', (db) => {
      const removed = db.prepare<[string, string], { version: string }>('DELETE FROM tags WHERE key = ? AND tag = ? RETURNING version').get(key, tag)
      if (!removed) throw new NotFoundError(`${key} has no tag ${JSON.stringify(tag)}`)
      appendAudit(db, { actor, action: AUDIT_ACTIONS.removeTag, key, version: removed.version, details: { tag } })
    })
  }

  async listTags(key: string): Promise<Record<string, string>> {
    validateKey(key)
    const rows = await this.read('listTags', (db) =>
      db.prepare<[string], { tag: string; version: string }>('SELECT tag, version FROM tags WHERE key = ? ORDER BY tag').all(key),
    )
    return Object.fromEntries(rows.map((r) => [r.tag, r.version]))
  }

  async setAccessControl(key: string, version: string | undefined, acl: AccessControl, context: MutationContext): Promise<void> {
    validateKey(key)
    const exact = version === undefined ? undefined : normalizeVersion(version)
    const normalized = normalizeAccessControl(acl)
    const actor = checkActor(context)
    await this.write('setAccessControl', (db) => {
      const json = JSON.stringify(normalized)
      const changed =
        exact === undefined
          ? db.prepare('UPDATE versions SET acl = ? WHERE key = ?').run(json, key).changes
          : db.prepare('UPDATE versions SET acl = ? WHERE key = ? AND version = ?').run(json, key, exact).changes
      if (changed === 0) throw new NotFoundError(`${exact === undefined ? key : `${key}@${exact}`} is not registered`)
      appendAudit(db, { actor, action: AUDIT_ACTIONS.setAccessControl, key, version: exact, details: { accessControl: normalized } })
    })
  }

  async annotate(annotation: Annotation, context: MutationContext): Promise<void> {
    validateKey(annotation.key)
    const exact = normalizeVersion(annotation.version)
    const text = nonEmpty(annotation.text, 'annotation text')
    const user = nonEmpty(annotation.user, 'annotation user')
    const createdAt = isoTime(annotation.createdAt ?? new Date(), 'annotation createdAt')
    const actor = checkActor(context)
    await this.write('annotate', (db) => {
      if (!this.row(db, annotation.key, exact)) throw new NotFoundError(`cannot annotate ${annotation.key}@${exact}: that version is not registered`)
      db.prepare('INSERT INTO annotations (key, version, text, user, created_at) VALUES (?, ?, ?, ?, ?)').run(annotation.key, exact, text, user, createdAt)
      appendAudit(db, { actor, action: AUDIT_ACTIONS.annotate, key: annotation.key, version: exact, details: { text } })
    })
  }

  async listAnnotations(key: string, version?: string): Promise<Annotation[]> {
    validateKey(key)
    const exact = version === undefined ? undefined : normalizeVersion(version)
    return this.read('listAnnotations', (db) => {
      const sql = `SELECT key, version, text, user, created_at AS createdAt FROM annotations WHERE key = ? ${exact === undefined ? '' : 'AND version = ?'} ORDER BY created_at, id`
      const params = exact === undefined ? [key] : [key, exact]
      return db.prepare<string[], Annotation>(sql).all(...params)
    })
  }

  async softDelete(key: string, version: string, context: MutationContext): Promise<void> {
    validateKey(key)
    const exact = normalizeVersion(version)
    const actor = checkActor(context)
    await this.write('softDelete', (db) => {
      const row = this.row(db, key, exact)
      if (!row) throw new NotFoundError(`cannot delete ${key}@${exact}: that version is not registered`)
      // Deleting twice changes nothing, so it is not a mutation to audit.
      if (row.deleted_at !== null) return
      db.prepare('UPDATE versions SET deleted_at = ?, deleted_by = ? WHERE key = ? AND version = ?').run(new Date().toISOString(), actor, key, exact)
      refreshLatest(db, key)
      appendAudit(db, { actor, action: AUDIT_ACTIONS.softDelete, key, version: exact })
    })
  }

  async lineage(key: string, version: string, options: LineageOptions): Promise<LineageEdge[]> {
    validateKey(key)
    const exact = normalizeVersion(version)
    if (!['up', 'down', 'both'].includes(options.direction)) throw new InvalidInputError('lineage direction must be up, down or both')
    if (typeof options.depth !== 'number' || Number.isNaN(options.depth)) throw new InvalidInputError('lineage depth must be a number')
    // One read transaction: both directions see the same snapshot.
    return this.read('lineage', (db) =>
      db.transaction(() => walkLineage(db, { key, version: exact }, options.direction, options.depth, options.scope)).deferred(),
    )
  }

  async recordContentDigest(key: string, version: string, digest: ContentDigest, context: MutationContext): Promise<AssetRecord> {
    validateKey(key)
    const exact = normalizeVersion(version)
    if (!isContentDigest(digest)) throw new InvalidInputError(`digest must be sha256:<64 lowercase hex>, got ${JSON.stringify(digest)}`)
    const actor = checkActor(context)
    return this.write('recordContentDigest', (db) => {
      // Conditional: only a pin is replaced, so the first writer wins and a recorded digest never changes.
      const changed = db
        .prepare("UPDATE versions SET digest = ? WHERE key = ? AND version = ? AND type = 'file' AND digest LIKE 'pin:%'")
        .run(digest, key, exact).changes
      const row = this.row(db, key, exact)
      if (!row) throw new NotFoundError(`cannot record the digest of ${key}@${exact}: that version is not registered`)
      if (changed > 0) appendAudit(db, { actor, action: AUDIT_ACTIONS.recordDigest, key, version: exact, details: { digest } })
      return rowToRecord(row)
    })
  }

  async recordAudit(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    await this.write('recordAudit', (db) => appendAudit(db, entry))
  }

  async audit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    return this.read('audit', (db) => readAudit(db, filter))
  }

  async *referencedLocations(): AsyncIterable<{ location: string; type: 'file' | 'folder' }> {
    type LocationRow = { location: string; type: 'file' | 'folder' }
    // Paged rather than iterated: an open better-sqlite3 iterator blocks every other statement
    // on the connection, and the consumer (gc) calls back into the registry while it walks.
    let after: LocationRow | undefined
    for (;;) {
      const cursor = after
      const page = await this.read('referencedLocations', (db) =>
        db
          .prepare<SqlValue[], LocationRow>(
            `SELECT DISTINCT location, type FROM versions ${cursor ? 'WHERE (location, type) > (?, ?)' : ''} ORDER BY location, type LIMIT ?`,
          )
          .all(...(cursor ? [cursor.location, cursor.type] : []), LOCATION_PAGE),
      )
      yield* page
      if (page.length < LOCATION_PAGE) return
      after = page.at(-1)
    }
  }

  async expired(now: Date): Promise<AssetRecord[]> {
    const at = isoTime(now, 'now')
    const rows = await this.read('expired', (db) =>
      db.prepare<[string], VersionRow>('SELECT * FROM versions WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, key, version').all(at),
    )
    return rows.map(rowToRecord)
  }

  async purge(key: string, version: string, context: MutationContext): Promise<void> {
    validateKey(key)
    const exact = normalizeVersion(version)
    const actor = checkActor(context)
    await this.write('purge', (db) => {
      const row = this.row(db, key, exact)
      if (!row) throw new NotFoundError(`cannot purge ${key}@${exact}: that version is not registered`)
      // Its tags, outgoing edges and annotations go with it (ON DELETE CASCADE).
      db.prepare('DELETE FROM versions WHERE key = ? AND version = ?').run(key, exact)
      refreshLatest(db, key)
      appendAudit(db, { actor, action: AUDIT_ACTIONS.purge, key, version: exact, details: { digest: row.digest, location: row.location } })
    })
  }

  async holdContent(holder: string, locations: string[], ttlMs: number): Promise<{ refused: string[] }> {
    const wanted = checkLeaseArguments(holder, locations, ttlMs)
    return { refused: await this.write('holdContent', (db) => takeLeases(db, holder, wanted, ttlMs, 0)) }
  }

  async claimContent(holder: string, locations: string[], ttlMs: number): Promise<{ claimed: string[] }> {
    const wanted = checkLeaseArguments(holder, locations, ttlMs)
    const refused = new Set(await this.write('claimContent', (db) => takeLeases(db, holder, wanted, ttlMs, 1)))
    return { claimed: wanted.filter((l) => !refused.has(l)) }
  }

  async renewContent(holder: string, ttlMs: number): Promise<void> {
    checkLeaseArguments(holder, undefined, ttlMs)
    await this.write('renewContent', (db) => renewLeases(db, holder, ttlMs))
  }

  async releaseContent(holder: string, locations?: string[]): Promise<void> {
    const only = locations === undefined ? undefined : checkLeaseArguments(holder, locations)
    await this.write('releaseContent', (db) => releaseLeases(db, holder, only))
  }

  async close(): Promise<void> {
    this.closed = true
    this.db?.close()
    this.db = undefined
  }

  private row(db: BetterSqlite3.Database, key: string, version: string): VersionRow | undefined {
    return db.prepare<[string, string], VersionRow>('SELECT * FROM versions WHERE key = ? AND version = ?').get(key, version)
  }

  /** Opened on first use, so that creating a registry does no I/O. */
  private connection(): BetterSqlite3.Database {
    if (this.closed) throw new BackendUnavailableError('sqlite', `the registry on ${this.options.path} was closed`)
    this.db ??= openDatabase(this.options.path, this.options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, this.options.shared)
    return this.db
  }

  private async read<T>(what: string, fn: (db: BetterSqlite3.Database) => T): Promise<T> {
    const db = this.connection()
    try {
      return fn(db)
    } catch (error) {
      throw wrapSqliteError(error, what, this.options.path)
    }
  }

  private async write<T>(what: string, fn: (db: BetterSqlite3.Database) => T): Promise<T> {
    return this.read(what, (db) => db.transaction(() => fn(db)).immediate())
  }
}

/** Points a tag at a version and returns the version it pointed at before, if any. */
function upsertTag(db: BetterSqlite3.Database, key: string, tag: string, version: string): string | null {
  const previous = db.prepare<[string, string], { version: string }>('SELECT version FROM tags WHERE key = ? AND tag = ?').get(key, tag)
  db.prepare('INSERT INTO tags (key, tag, version) VALUES (?, ?, ?) ON CONFLICT (key, tag) DO UPDATE SET version = excluded.version').run(key, tag, version)
  return previous?.version ?? null
}

function checkActor(context: MutationContext): string {
  return nonEmpty(context?.actor, 'the actor of a mutation')
}
