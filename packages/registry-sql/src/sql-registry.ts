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
  compareVersions,
  encodeCursor,
  InvalidInputError,
  isContentDigest,
  isoTime,
  isVersion,
  type LineageEdge,
  type LineageOptions,
  type MutationContext,
  NotFoundError,
  nonEmpty,
  normalizeAccessControl,
  normalizeRecord,
  normalizeVersion,
  type QueryPage,
  type ReadScope,
  type RegisterOptions,
  type RegisterResult,
  type Registry,
  type TokenStore,
  registerAuditEntries,
  VersionConflictError,
  validateKey,
  validateTag,
} from '@assets/core'
import { SqlTokenStore } from './api-tokens.js'
import { appendAudit, readAudit } from './audit-log.js'
import { releaseLeases, renewLeases, takeLeases } from './content-leases.js'
import type { SqlDialect } from './dialect.js'
import { refreshLatest, samePrecedence } from './latest-flags.js'
import { walkLineage } from './lineage.js'
import { compileToSql } from './query-compiler.js'
import { rowToRecord, type VersionRow, versionValues } from './record-row.js'
import { SqlParams } from './sql-params.js'
import type { SqlConnector, SqlSession } from './sql-session.js'

const LOCATION_PAGE = 1000

/**
 * The Registry contract over SQL, the same for every database: each mutation runs in one
 * transaction with its audit rows, holding its key's lock, so that mutations of one key queue
 * instead of interleaving while different keys proceed in parallel. The dialect writes what
 * differs in the SQL; the connector runs it.
 */
export class SqlRegistry implements Registry {
  /** The asset server's API tokens, in this catalogue's `api_tokens` table. */
  readonly tokens: TokenStore

  constructor(
    readonly name: string,
    private readonly db: SqlConnector,
    private readonly d: SqlDialect,
  ) {
    this.tokens = new SqlTokenStore(db, d)
  }

  async register(input: AssetRecord, options: RegisterOptions): Promise<RegisterResult> {
    const record = normalizeRecord(input)
    const tags = [...new Set((options.tags ?? []).map(validateTag))]
    const actor = checkActor(options)
    const extra = registerAuditEntries(options.audit)
    const { d } = this
    return this.db.write('register', { key: record.key }, async (s) => {
      // Under the key's lock: nothing can register this key between the look and the insert.
      const existing = await this.row(s, record.key, record.version)
      if (existing) {
        if (existing.digest === record.digest) return { created: false, record: rowToRecord(existing) }
        throw new VersionConflictError(
          `${record.key}@${record.version} is already registered with ${existing.digest}, not ${record.digest}: ` +
            'a version is immutable, register the new content as a new version',
        )
      }
      const twin = await samePrecedence(s, d, record.key, record.version)
      if (twin) throw buildMetadataConflict(record.key, record.version, twin)
      const values = versionValues(record)
      const p = this.params()
      const placed = d.versionInsert.map((c) => (c.cast ? c.cast(p.add(values[c.value])) : p.add(values[c.value])))
      await s.run(`INSERT INTO ${d.tables.versions} (${d.versionInsert.map((c) => c.column).join(', ')}) VALUES (${placed.join(', ')})`, p.values)
      const edges = new Map(record.relationships.map((r) => [JSON.stringify([r.relation, r.key, r.version]), r]))
      for (const chunk of chunks([...edges.values()])) {
        const e = this.params()
        const rows = chunk.map((r) => `(${e.list([record.key, record.version, r.relation, r.key, r.version])})`)
        await s.run(`INSERT INTO ${d.tables.relationships} (from_key, from_version, relation, to_key, to_version) VALUES ${rows.join(', ')}`, e.values)
      }
      for (const chunk of chunks(tags)) {
        const g = this.params()
        const rows = chunk.map((tag) => `(${g.list([record.key, tag, record.version])})`)
        await s.run(d.upsert(d.tables.tags, ['"key"', 'tag', 'version'], rows, ['"key"', 'tag'], { version: 'replace' }), g.values)
      }
      await refreshLatest(s, d, record.key)
      await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.register, key: record.key, version: record.version, details: { digest: record.digest, tags } })
      for (const entry of extra) await appendAudit(s, d, { actor, action: entry.action, key: record.key, version: record.version, details: entry.details })
      return { created: true, record: rowToRecord((await this.row(s, record.key, record.version)) as VersionRow) }
    })
  }

  async get(key: string, version: string): Promise<AssetRecord | null> {
    validateKey(key)
    const exact = normalizeVersion(version)
    return this.db.read('get', async (s) => {
      const row = await this.row(s, key, exact)
      return row ? rowToRecord(row) : null
    })
  }

  async resolve(key: string, ref: string): Promise<string | null> {
    validateKey(key)
    if (!this.d.storable(ref)) return null
    const { d } = this
    const $ = (i: number): string => d.placeholder(i)
    return this.db.read('resolve', async (s) => {
      const version = async (sql: string, ...params: string[]): Promise<string | null> =>
        (await s.all<{ version: string }>(sql, [key, ...params]))[0]?.version ?? null
      if (ref === 'latest') return version(`SELECT version FROM ${d.tables.versions} AS v WHERE "key" = ${$(1)} AND ${d.isSet('v.is_latest')}`)
      if (isVersion(ref)) {
        return version(`SELECT version FROM ${d.tables.versions} WHERE "key" = ${$(1)} AND version = ${$(2)} AND deleted_at IS NULL`, normalizeVersion(ref))
      }
      return version(
        `SELECT t.version FROM ${d.tables.tags} AS t JOIN ${d.tables.versions} AS v ON v."key" = t."key" AND v.version = t.version
         WHERE t."key" = ${$(1)} AND t.tag = ${$(2)} AND v.deleted_at IS NULL`,
        String(ref),
      )
    })
  }

  async listVersions(key: string, options: { includeDeleted?: boolean } = {}): Promise<AssetRecord[]> {
    validateKey(key)
    const live = options.includeDeleted ? '' : 'AND v.deleted_at IS NULL'
    const rows = await this.db.read('listVersions', (s) =>
      s.all<VersionRow>(`SELECT ${this.d.recordColumns} FROM ${this.d.tables.versions} AS v WHERE v."key" = ${this.d.placeholder(1)} ${live}`, [key]),
    )
    return rows.map(rowToRecord).sort((a, b) => compareVersions(b.version, a.version))
  }

  async query(query: CompiledQuery, scope: ReadScope): Promise<QueryPage> {
    const { sql, params } = compileToSql(query, scope, this.d)
    const rows = await this.db.read('query', (s) => s.all<VersionRow>(sql, params, { prepare: false }))
    const items = rows.slice(0, query.limit).map(rowToRecord)
    return rows.length > query.limit ? { items, nextCursor: encodeCursor(query.offset + query.limit) } : { items }
  }

  async setTag(key: string, tag: string, version: string, context: MutationContext): Promise<void> {
    validateKey(key)
    validateTag(tag)
    const exact = normalizeVersion(version)
    const actor = checkActor(context)
    const { d } = this
    await this.db.write('setTag', { key }, async (s) => {
      const row = await this.row(s, key, exact)
      if (!row) throw new NotFoundError(`cannot tag ${key}@${exact}: that version is not registered`)
      if (row.deleted_at !== null) throw new NotFoundError(`cannot tag ${key}@${exact}: that version was deleted`)
      const previous = (await this.tagged(s, key, tag)) ?? null
      const p = this.params()
      await s.run(d.upsert(d.tables.tags, ['"key"', 'tag', 'version'], [`(${p.list([key, tag, exact])})`], ['"key"', 'tag'], { version: 'replace' }), p.values)
      await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.setTag, key, version: exact, details: { tag, previous } })
    })
  }

  async removeTag(key: string, tag: string, context: MutationContext): Promise<void> {
    validateKey(key)
    const actor = checkActor(context)
    const { d } = this
    await this.db.write('removeTag', { key }, async (s) => {
      const version = this.d.storable(tag) ? await this.tagged(s, key, String(tag)) : undefined
      if (version === undefined) throw new NotFoundError(`${key} has no tag ${JSON.stringify(tag)}`)
      await s.run(`DELETE FROM ${d.tables.tags} WHERE "key" = ${d.placeholder(1)} AND tag = ${d.placeholder(2)}`, [key, tag])
      await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.removeTag, key, version, details: { tag } })
    })
  }

  async listTags(key: string): Promise<Record<string, string>> {
    validateKey(key)
    const rows = await this.db.read('listTags', (s) =>
      s.all<{ tag: string; version: string }>(`SELECT tag, version FROM ${this.d.tables.tags} WHERE "key" = ${this.d.placeholder(1)} ORDER BY tag`, [key]),
    )
    return Object.fromEntries(rows.map((r) => [r.tag, r.version]))
  }

  async setAccessControl(key: string, version: string | undefined, acl: AccessControl, context: MutationContext): Promise<void> {
    validateKey(key)
    const exact = version === undefined ? undefined : normalizeVersion(version)
    const normalized = normalizeAccessControl(acl)
    const actor = checkActor(context)
    const { d } = this
    await this.db.write('setAccessControl', { key }, async (s) => {
      const p = this.params()
      const set = `UPDATE ${d.tables.versions} SET acl = ${d.jsonParam(p.add(JSON.stringify(normalized)), 'acl')} WHERE "key" = ${p.add(key)}`
      const found = exact === undefined ? await this.anyVersion(s, key) : (await this.row(s, key, exact)) !== undefined
      if (!found) throw new NotFoundError(`${exact === undefined ? key : `${key}@${exact}`} is not registered`)
      await s.run(exact === undefined ? set : `${set} AND version = ${p.add(exact)}`, p.values)
      await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.setAccessControl, key, version: exact, details: { accessControl: normalized } })
    })
  }

  async annotate(annotation: Annotation, context: MutationContext): Promise<void> {
    validateKey(annotation.key)
    const exact = normalizeVersion(annotation.version)
    const text = nonEmpty(annotation.text, 'annotation text')
    const user = nonEmpty(annotation.user, 'annotation user')
    const createdAt = isoTime(annotation.createdAt ?? new Date(), 'annotation createdAt')
    const actor = checkActor(context)
    const { d } = this
    await this.db.write('annotate', { key: annotation.key }, async (s) => {
      if (!(await this.row(s, annotation.key, exact))) throw new NotFoundError(`cannot annotate ${annotation.key}@${exact}: that version is not registered`)
      const p = this.params()
      await s.run(`INSERT INTO ${d.tables.annotations} ("key", version, text, user_name, created_at) VALUES (${p.list([annotation.key, exact, text, user, createdAt])})`, p.values)
      await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.annotate, key: annotation.key, version: exact, details: { text } })
    })
  }

  async listAnnotations(key: string, version?: string): Promise<Annotation[]> {
    validateKey(key)
    const exact = version === undefined ? undefined : normalizeVersion(version)
    const p = this.params()
    const sql = `SELECT "key", version, text, user_name AS "user", created_at AS "createdAt" FROM ${this.d.tables.annotations}
      WHERE "key" = ${p.add(key)} ${exact === undefined ? '' : `AND version = ${p.add(exact)}`} ORDER BY created_at, id`
    return this.db.read('listAnnotations', (s) => s.all<Annotation>(sql, p.values))
  }

  async softDelete(key: string, version: string, context: MutationContext): Promise<void> {
    validateKey(key)
    const exact = normalizeVersion(version)
    const actor = checkActor(context)
    const { d } = this
    await this.db.write('softDelete', { key }, async (s) => {
      const row = await this.row(s, key, exact)
      if (!row) throw new NotFoundError(`cannot delete ${key}@${exact}: that version is not registered`)
      // Deleting twice changes nothing, so it is not a mutation to audit.
      if (row.deleted_at !== null) return
      const p = this.params()
      await s.run(
        `UPDATE ${d.tables.versions} SET deleted_at = ${p.add(new Date().toISOString())}, deleted_by = ${p.add(actor)} WHERE "key" = ${p.add(key)} AND version = ${p.add(exact)}`,
        p.values,
      )
      await refreshLatest(s, d, key)
      await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.softDelete, key, version: exact })
    })
  }

  async lineage(key: string, version: string, options: LineageOptions): Promise<LineageEdge[]> {
    validateKey(key)
    const exact = normalizeVersion(version)
    if (!['up', 'down', 'both'].includes(options.direction)) throw new InvalidInputError('lineage direction must be up, down or both')
    if (typeof options.depth !== 'number' || Number.isNaN(options.depth)) throw new InvalidInputError('lineage depth must be a number')
    // One snapshot: both directions see the same catalogue.
    return this.db.snapshot('lineage', (s) => walkLineage(s, this.d, { key, version: exact }, options.direction, options.depth, options.scope))
  }

  async recordContentDigest(key: string, version: string, digest: ContentDigest, context: MutationContext): Promise<AssetRecord> {
    validateKey(key)
    const exact = normalizeVersion(version)
    if (!isContentDigest(digest)) throw new InvalidInputError(`digest must be sha256:<64 lowercase hex>, got ${JSON.stringify(digest)}`)
    const actor = checkActor(context)
    const { d } = this
    return this.db.write('recordContentDigest', { key }, async (s) => {
      const before = await this.row(s, key, exact)
      if (!before) throw new NotFoundError(`cannot record the digest of ${key}@${exact}: that version is not registered`)
      // Only a pin is replaced, so the first writer wins and a recorded digest never changes.
      if (before.type !== 'file' || !before.digest.startsWith('pin:')) return rowToRecord(before)
      const p = this.params()
      await s.run(`UPDATE ${d.tables.versions} SET digest = ${p.add(digest)} WHERE "key" = ${p.add(key)} AND version = ${p.add(exact)}`, p.values)
      await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.recordDigest, key, version: exact, details: { digest } })
      return rowToRecord({ ...before, digest })
    })
  }

  async recordAudit(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    await this.db.write('recordAudit', undefined, (s) => appendAudit(s, this.d, entry))
  }

  async audit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    return this.db.read('audit', (s) => readAudit(s, this.d, filter))
  }

  async *referencedLocations(): AsyncIterable<{ location: string; type: 'file' | 'folder' }> {
    type LocationRow = { location: string; type: 'file' | 'folder' }
    const { d } = this
    // Paged by keyset, each page its own statement: the consumer (gc) calls back into the
    // registry while it walks, and should not hold a connection or a snapshot meanwhile.
    let after: LocationRow | undefined
    for (;;) {
      const p = this.params()
      const from = after ? `WHERE (location, type) > (${p.add(after.location)}, ${p.add(after.type)})` : ''
      const sql = `SELECT DISTINCT location, type FROM ${d.tables.versions} ${from} ORDER BY location, type LIMIT ${p.add(LOCATION_PAGE)}`
      const page = await this.db.read('referencedLocations', (s) => s.all<LocationRow>(sql, p.values))
      yield* page
      if (page.length < LOCATION_PAGE) return
      after = page.at(-1)
    }
  }

  async expired(now: Date): Promise<AssetRecord[]> {
    const at = isoTime(now, 'now')
    const rows = await this.db.read('expired', (s) =>
      s.all<VersionRow>(
        `SELECT ${this.d.recordColumns} FROM ${this.d.tables.versions} AS v
         WHERE v.expires_at IS NOT NULL AND v.expires_at <= ${this.d.placeholder(1)} ORDER BY v.expires_at, v."key", v.version`,
        [at],
      ),
    )
    return rows.map(rowToRecord)
  }

  async purge(key: string, version: string, context: MutationContext): Promise<void> {
    validateKey(key)
    const exact = normalizeVersion(version)
    const actor = checkActor(context)
    const { d } = this
    await this.db.write('purge', { key }, async (s) => {
      const row = await this.row(s, key, exact)
      if (!row) throw new NotFoundError(`cannot purge ${key}@${exact}: that version is not registered`)
      // Its tags, outgoing edges and annotations go with it (ON DELETE CASCADE).
      await s.run(`DELETE FROM ${d.tables.versions} WHERE "key" = ${d.placeholder(1)} AND version = ${d.placeholder(2)}`, [key, exact])
      await refreshLatest(s, d, key)
      await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.purge, key, version: exact, details: { digest: row.digest, location: row.location } })
    })
  }

  async holdContent(holder: string, locations: string[], ttlMs: number): Promise<{ refused: string[] }> {
    const wanted = checkLeaseArguments(holder, locations, ttlMs)
    return { refused: await this.db.write('holdContent', 'leases', (s) => takeLeases(s, this.d, holder, wanted, ttlMs, false)) }
  }

  async claimContent(holder: string, locations: string[], ttlMs: number): Promise<{ claimed: string[] }> {
    const wanted = checkLeaseArguments(holder, locations, ttlMs)
    const refused = new Set(await this.db.write('claimContent', 'leases', (s) => takeLeases(s, this.d, holder, wanted, ttlMs, true)))
    return { claimed: wanted.filter((l) => !refused.has(l)) }
  }

  async renewContent(holder: string, ttlMs: number): Promise<void> {
    checkLeaseArguments(holder, undefined, ttlMs)
    await this.db.write('renewContent', 'leases', (s) => renewLeases(s, this.d, holder, ttlMs))
  }

  async releaseContent(holder: string, locations?: string[]): Promise<void> {
    const only = locations === undefined ? undefined : checkLeaseArguments(holder, locations)
    await this.db.write('releaseContent', 'leases', (s) => releaseLeases(s, this.d, holder, only))
  }

  async close(): Promise<void> {
    await this.db.close()
  }

  private params(): SqlParams {
    return new SqlParams((i) => this.d.placeholder(i))
  }

  private async row(s: SqlSession, key: string, version: string): Promise<VersionRow | undefined> {
    const $ = (i: number): string => this.d.placeholder(i)
    const [row] = await s.all<VersionRow>(`SELECT ${this.d.recordColumns} FROM ${this.d.tables.versions} AS v WHERE v."key" = ${$(1)} AND v.version = ${$(2)}`, [
      key,
      version,
    ])
    return row
  }

  private async anyVersion(s: SqlSession, key: string): Promise<boolean> {
    const rows = await s.all(`SELECT 1 AS one FROM ${this.d.tables.versions} WHERE "key" = ${this.d.placeholder(1)} LIMIT 1`, [key])
    return rows.length > 0
  }

  /** The version a tag points at, if any. */
  private async tagged(s: SqlSession, key: string, tag: string): Promise<string | undefined> {
    const [row] = await s.all<{ version: string }>(
      `SELECT version FROM ${this.d.tables.tags} WHERE "key" = ${this.d.placeholder(1)} AND tag = ${this.d.placeholder(2)}`,
      [key, tag],
    )
    return row?.version
  }
}

/** Rows per INSERT: far below every dialect's limit on bound values, however many a record brings. */
function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

function checkActor(context: MutationContext): string {
  return nonEmpty(context?.actor, 'the actor of a mutation')
}
