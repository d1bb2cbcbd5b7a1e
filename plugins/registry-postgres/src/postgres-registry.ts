import {
  AUDIT_ACTIONS,
  type AccessControl,
  type Annotation,
  type AssetRecord,
  type AuditEntry,
  type AuditFilter,
  buildMetadataConflict,
  checkLeaseArguments,
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
import { appendAudit, readAudit } from './audit-log.js'
import { releaseLeases, renewLeases, takeLeases } from './content-leases.js'
import { refreshLatest } from './latest-flags.js'
import { walkLineage } from './lineage.js'
import { storable } from './metadata-path.js'
import type { Queryable } from './postgres-client.js'
import type { PostgresRegistryOptions } from './postgres-options.js'
import { compileToSql } from './query-compiler.js'
import { insertVersionParams, insertVersionSql, RECORD_COLUMNS, rowToRecord, type VersionRow } from './record-row.js'
import { RegistryDatabase } from './registry-database.js'
import { run } from './sql-params.js'
import type { Tables } from './tables.js'
import { transaction } from './transaction.js'
import { samePrecedence } from './version-precedence.js'

const LOCATION_PAGE = 1000


/**
 * The catalogue in PostgreSQL, shared by many workers on many machines. Every mutation runs in
 * one transaction with its audit row, holding an advisory lock on its key, so that mutations
 * of one key queue instead of interleaving while different keys proceed in parallel; the
 * primary key on (key, version) decides registration races.
 */
export class PostgresRegistry implements Registry {
  readonly name = 'postgres'
  private readonly db: RegistryDatabase
  private readonly tables: Tables

  constructor(options: PostgresRegistryOptions) {
    this.db = new RegistryDatabase(options)
    this.tables = this.db.tables
  }

  async register(input: AssetRecord, options: RegisterOptions): Promise<RegisterResult> {
    const record = normalizeRecord(input)
    const tags = [...new Set((options.tags ?? []).map(validateTag))]
    const actor = checkActor(options)
    const extra = registerAuditEntries(options.audit)
    const t = this.tables
    return this.db.write('register', record.key, async (tx) => {
      // The primary key decides: a version that exists already is left as it is, and compared.
      const [inserted] = await run<VersionRow>(tx, insertVersionSql(t.versions, RECORD_COLUMNS), insertVersionParams(record))
      if (!inserted) return sameOrConflict((await this.row(tx, record.key, record.version))!, record)
      // Under the key's lock, so two versions differing only in build metadata never both commit (the throw rolls back).
      const twin = await samePrecedence(tx, t, record.key, record.version)
      if (twin) throw buildMetadataConflict(record.key, record.version, twin)
      const edges = record.relationships
      if (edges.length > 0) {
        await run(
          tx,
          `INSERT INTO ${t.relationships} (from_key, from_version, relation, to_key, to_version)
           SELECT $1, $2, e.relation, e.key, e.version FROM unnest($3::text[], $4::text[], $5::text[]) AS e(relation, key, version)
           ON CONFLICT DO NOTHING`,
          [record.key, record.version, edges.map((e) => e.relation), edges.map((e) => e.key), edges.map((e) => e.version)],
        )
      }
      if (tags.length > 0) {
        await run(
          tx,
          `INSERT INTO ${t.tags} (key, tag, version) SELECT $1, tag, $3 FROM unnest($2::text[]) AS tag
           ON CONFLICT (key, tag) DO UPDATE SET version = excluded.version`,
          [record.key, tags, record.version],
        )
      }
      await refreshLatest(tx, t, record.key)
      await appendAudit(tx, t, { actor, action: AUDIT_ACTIONS.register, key: record.key, version: record.version, details: { digest: record.digest, tags } })
      for (const entry of extra) await appendAudit(tx, t, { actor, action: entry.action, key: record.key, version: record.version, details: entry.details })
      return { created: true, record: rowToRecord(inserted) }
    })
  }

  async get(key: string, version: string): Promise<AssetRecord | null> {
    validateKey(key)
    const exact = normalizeVersion(version)
    return this.db.read('get', async ({ sql: db }) => {
      const row = await this.row(db, key, exact)
      return row ? rowToRecord(row) : null
    })
  }

  async resolve(key: string, ref: string): Promise<string | null> {
    validateKey(key)
    if (!storable(ref)) return null
    const t = this.tables
    return this.db.read('resolve', async ({ sql: db }) => {
      const version = async (text: string, ...params: string[]): Promise<string | null> =>
        (await run<{ version: string }>(db, text, [key, ...params]))[0]?.version ?? null
      if (ref === 'latest') return version(`SELECT version FROM ${t.versions} WHERE key = $1 AND is_latest`)
      if (isVersion(ref)) {
        return version(`SELECT version FROM ${t.versions} WHERE key = $1 AND version = $2 AND deleted_at IS NULL`, normalizeVersion(ref))
      }
      return version(
        `SELECT g.version FROM ${t.tags} AS g JOIN ${t.versions} AS v ON v.key = g.key AND v.version = g.version
         WHERE g.key = $1 AND g.tag = $2 AND v.deleted_at IS NULL`,
        String(ref),
      )
    })
  }

  async listVersions(key: string, options: { includeDeleted?: boolean } = {}): Promise<AssetRecord[]> {
    validateKey(key)
    const live = options.includeDeleted ? '' : 'AND v.deleted_at IS NULL'
    const rows = await this.db.read('listVersions', ({ sql: db }) =>
      run<VersionRow>(db, `SELECT ${RECORD_COLUMNS} FROM ${this.tables.versions} AS v WHERE v.key = $1 ${live}`, [key]),
    )
    return rows.map(rowToRecord).sort((a, b) => compareVersions(b.version, a.version))
  }

  async query(query: CompiledQuery, scope: ReadScope): Promise<QueryPage> {
    const { text, params } = compileToSql(query, scope, this.tables)
    const rows = await this.db.read('query', ({ sql: db }) => run<VersionRow>(db, text, params, false))
    const items = rows.slice(0, query.limit).map(rowToRecord)
    return rows.length > query.limit ? { items, nextCursor: encodeCursor(query.offset + query.limit) } : { items }
  }

  async setTag(key: string, tag: string, version: string, context: MutationContext): Promise<void> {
    validateKey(key)
    validateTag(tag)
    const exact = normalizeVersion(version)
    const actor = checkActor(context)
    const t = this.tables
    await this.db.write('setTag', key, async (tx) => {
      const row = await this.row(tx, key, exact)
      if (!row) throw new NotFoundError(`cannot tag ${key}@${exact}: that version is not registered`)
      if (row.deleted_at !== null) throw new NotFoundError(`cannot tag ${key}@${exact}: that version was deleted`)
      const [moved] = await run<{ previous: string | null }>(
        tx,
        `WITH before AS (SELECT version FROM ${t.tags} WHERE key = $1 AND tag = $2)
         INSERT INTO ${t.tags} (key, tag, version) VALUES ($1, $2, $3)
         ON CONFLICT (key, tag) DO UPDATE SET version = excluded.version
         RETURNING (SELECT version FROM before) AS previous`,
        [key, tag, exact],
      )
      await appendAudit(tx, t, { actor, action: AUDIT_ACTIONS.setTag, key, version: exact, details: { tag, previous: moved?.previous ?? null } })
    })
  }

  async removeTag(key: string, tag: string, context: MutationContext): Promise<void> {
    validateKey(key)
    const actor = checkActor(context)
    const t = this.tables
    await this.db.write('removeTag', key, async (tx) => {
      if (!storable(tag)) throw new NotFoundError(`${key} has no tag ${JSON.stringify(tag)}`)
      const [removed] = await run<{ version: string }>(tx, `DELETE FROM ${t.tags} WHERE key = $1 AND tag = $2 RETURNING version`, [key, String(tag)])
      if (!removed) throw new NotFoundError(`${key} has no tag ${JSON.stringify(tag)}`)
      await appendAudit(tx, t, { actor, action: AUDIT_ACTIONS.removeTag, key, version: removed.version, details: { tag } })
    })
  }

  async listTags(key: string): Promise<Record<string, string>> {
    validateKey(key)
    const rows = await this.db.read('listTags', ({ sql: db }) =>
      run<{ tag: string; version: string }>(db, `SELECT tag, version FROM ${this.tables.tags} WHERE key = $1 ORDER BY tag`, [key]),
    )
    return Object.fromEntries(rows.map((r) => [r.tag, r.version]))
  }

  async setAccessControl(key: string, version: string | undefined, acl: AccessControl, context: MutationContext): Promise<void> {
    validateKey(key)
    const exact = version === undefined ? undefined : normalizeVersion(version)
    const normalized = normalizeAccessControl(acl)
    const actor = checkActor(context)
    const t = this.tables
    await this.db.write('setAccessControl', key, async (tx) => {
      const json = JSON.stringify(normalized)
      const changed =
        exact === undefined
          ? await run(tx, `UPDATE ${t.versions} SET acl = $1::text::jsonb WHERE key = $2 RETURNING version`, [json, key])
          : await run(tx, `UPDATE ${t.versions} SET acl = $1::text::jsonb WHERE key = $2 AND version = $3 RETURNING version`, [json, key, exact])
      if (changed.length === 0) throw new NotFoundError(`${exact === undefined ? key : `${key}@${exact}`} is not registered`)
      await appendAudit(tx, t, { actor, action: AUDIT_ACTIONS.setAccessControl, key, version: exact, details: { accessControl: normalized } })
    })
  }

  async annotate(annotation: Annotation, context: MutationContext): Promise<void> {
    validateKey(annotation.key)
    const exact = normalizeVersion(annotation.version)
    const text = nonEmpty(annotation.text, 'annotation text')
    const user = nonEmpty(annotation.user, 'annotation user')
    const createdAt = isoTime(annotation.createdAt ?? new Date(), 'annotation createdAt')
    const actor = checkActor(context)
    const t = this.tables
    await this.db.write('annotate', annotation.key, async (tx) => {
      if (!(await this.row(tx, annotation.key, exact))) {
        throw new NotFoundError(`cannot annotate ${annotation.key}@${exact}: that version is not registered`)
      }
      await run(tx, `INSERT INTO ${t.annotations} (key, version, text, user_name, created_at) VALUES ($1, $2, $3, $4, $5)`, [
        annotation.key,
        exact,
        text,
        user,
        createdAt,
      ])
      await appendAudit(tx, t, { actor, action: AUDIT_ACTIONS.annotate, key: annotation.key, version: exact, details: { text } })
    })
  }

  async listAnnotations(key: string, version?: string): Promise<Annotation[]> {
    validateKey(key)
    const exact = version === undefined ? undefined : normalizeVersion(version)
    const columns = 'key, version, text, user_name AS "user", created_at AS "createdAt"'
    return this.db.read('listAnnotations', ({ sql: db }) =>
      exact === undefined
        ? run<Annotation>(db, `SELECT ${columns} FROM ${this.tables.annotations} WHERE key = $1 ORDER BY created_at, id`, [key])
        : run<Annotation>(db, `SELECT ${columns} FROM ${this.tables.annotations} WHERE key = $1 AND version = $2 ORDER BY created_at, id`, [key, exact]),
    )
  }

  async softDelete(key: string, version: string, context: MutationContext): Promise<void> {
    validateKey(key)
    const exact = normalizeVersion(version)
    const actor = checkActor(context)
    const t = this.tables
    await this.db.write('softDelete', key, async (tx) => {
      const row = await this.row(tx, key, exact)
      if (!row) throw new NotFoundError(`cannot delete ${key}@${exact}: that version is not registered`)
      // Deleting twice changes nothing, so it is not a mutation to audit.
      if (row.deleted_at !== null) return
      await run(tx, `UPDATE ${t.versions} SET deleted_at = $1, deleted_by = $2 WHERE key = $3 AND version = $4`, [new Date().toISOString(), actor, key, exact])
      await refreshLatest(tx, t, key)
      await appendAudit(tx, t, { actor, action: AUDIT_ACTIONS.softDelete, key, version: exact })
    })
  }

  async lineage(key: string, version: string, options: LineageOptions): Promise<LineageEdge[]> {
    validateKey(key)
    const exact = normalizeVersion(version)
    if (!['up', 'down', 'both'].includes(options.direction)) throw new InvalidInputError('lineage direction must be up, down or both')
    if (typeof options.depth !== 'number' || Number.isNaN(options.depth)) throw new InvalidInputError('lineage depth must be a number')
    // One snapshot: both directions see the same catalogue.
    return this.db.read('lineage', (lane) =>
      transaction(lane, { readOnlySnapshot: true }, (tx) =>
        walkLineage(tx, this.tables, { key, version: exact }, options.direction, options.depth, options.scope),
      ),
    )
  }

  async recordContentDigest(key: string, version: string, digest: ContentDigest, context: MutationContext): Promise<AssetRecord> {
    validateKey(key)
    const exact = normalizeVersion(version)
    if (!isContentDigest(digest)) throw new InvalidInputError(`digest must be sha256:<64 lowercase hex>, got ${JSON.stringify(digest)}`)
    const actor = checkActor(context)
    const t = this.tables
    return this.db.write('recordContentDigest', key, async (tx) => {
      // Conditional: only a pin is replaced, so the first writer wins and a recorded digest never changes.
      const changed = await run(
        tx,
        `UPDATE ${t.versions} SET digest = $1 WHERE key = $2 AND version = $3 AND type = 'file' AND digest LIKE 'pin:%' RETURNING version`,
        [digest, key, exact],
      )
      const row = await this.row(tx, key, exact)
      if (!row) throw new NotFoundError(`cannot record the digest of ${key}@${exact}: that version is not registered`)
      if (changed.length > 0) await appendAudit(tx, t, { actor, action: AUDIT_ACTIONS.recordDigest, key, version: exact, details: { digest } })
      return rowToRecord(row)
    })
  }

  async recordAudit(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    await this.db.write('recordAudit', undefined, (tx) => appendAudit(tx, this.tables, entry))
  }

  async audit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    if (!storable(filter.key) || !storable(filter.action)) return []
    return this.db.read('audit', ({ sql: db }) => readAudit(db, this.tables, filter))
  }

  async *referencedLocations(): AsyncIterable<{ location: string; type: 'file' | 'folder' }> {
    type LocationRow = { location: string; type: 'file' | 'folder' }
    // Paged by keyset, each page its own statement: the consumer (gc) calls back into the
    // registry while it walks, and should not hold a connection or a snapshot meanwhile.
    let after: LocationRow | undefined
    for (;;) {
      const cursor = after
      const page = await this.db.read('referencedLocations', ({ sql: db }) =>
        cursor
          ? run<LocationRow>(
              db,
              `SELECT DISTINCT location, type FROM ${this.tables.versions} WHERE (location, type) > ($1, $2) ORDER BY location, type LIMIT $3`,
              [cursor.location, cursor.type, LOCATION_PAGE],
            )
          : run<LocationRow>(db, `SELECT DISTINCT location, type FROM ${this.tables.versions} ORDER BY location, type LIMIT $1`, [LOCATION_PAGE]),
      )
      yield* page
      if (page.length < LOCATION_PAGE) return
      after = page.at(-1)
    }
  }

  async expired(now: Date): Promise<AssetRecord[]> {
    const at = isoTime(now, 'now')
    const rows = await this.db.read('expired', ({ sql: db }) =>
      run<VersionRow>(
        db,
        `SELECT ${RECORD_COLUMNS} FROM ${this.tables.versions} AS v
         WHERE v.expires_at IS NOT NULL AND v.expires_at <= $1 ORDER BY v.expires_at, v.key, v.version`,
        [at],
      ),
    )
    return rows.map(rowToRecord)
  }

  async purge(key: string, version: string, context: MutationContext): Promise<void> {
    validateKey(key)
    const exact = normalizeVersion(version)
    const actor = checkActor(context)
    const t = this.tables
    await this.db.write('purge', key, async (tx) => {
      const row = await this.row(tx, key, exact)
      if (!row) throw new NotFoundError(`cannot purge ${key}@${exact}: that version is not registered`)
      // Its tags, outgoing edges and annotations go with it (ON DELETE CASCADE).
      await run(tx, `DELETE FROM ${t.versions} WHERE key = $1 AND version = $2`, [key, exact])
      await refreshLatest(tx, t, key)
      await appendAudit(tx, t, { actor, action: AUDIT_ACTIONS.purge, key, version: exact, details: { digest: row.digest, location: row.location } })
    })
  }

  async holdContent(holder: string, locations: string[], ttlMs: number): Promise<{ refused: string[] }> {
    const wanted = checkLeaseArguments(holder, locations, ttlMs)
    return { refused: await this.db.write('holdContent', undefined, (tx) => takeLeases(tx, this.tables, holder, wanted, ttlMs, false)) }
  }

  async claimContent(holder: string, locations: string[], ttlMs: number): Promise<{ claimed: string[] }> {
    const wanted = checkLeaseArguments(holder, locations, ttlMs)
    const refused = new Set(await this.db.write('claimContent', undefined, (tx) => takeLeases(tx, this.tables, holder, wanted, ttlMs, true)))
    return { claimed: wanted.filter((l) => !refused.has(l)) }
  }

  async renewContent(holder: string, ttlMs: number): Promise<void> {
    checkLeaseArguments(holder, undefined, ttlMs)
    await this.db.write('renewContent', undefined, (tx) => renewLeases(tx, this.tables, holder, ttlMs))
  }

  async releaseContent(holder: string, locations?: string[]): Promise<void> {
    const only = locations === undefined ? undefined : checkLeaseArguments(holder, locations)
    await this.db.write('releaseContent', undefined, (tx) => releaseLeases(tx, this.tables, holder, only))
  }

  async close(): Promise<void> {
    await this.db.close()
  }

  private async row(db: Queryable, key: string, version: string): Promise<VersionRow | undefined> {
    const [row] = await run<VersionRow>(db, `SELECT ${RECORD_COLUMNS} FROM ${this.tables.versions} AS v WHERE v.key = $1 AND v.version = $2`, [key, version])
    return row
  }
}

function sameOrConflict(existing: VersionRow, record: AssetRecord): RegisterResult {
  if (existing.digest === record.digest) return { created: false, record: rowToRecord(existing) }
  throw new VersionConflictError(
    `${record.key}@${record.version} is already registered with ${existing.digest}, not ${record.digest}: ` +
      'a version is immutable, register the new content as a new version',
  )
}

function checkActor(context: MutationContext): string {
  return nonEmpty(context?.actor, 'the actor of a mutation')
}
