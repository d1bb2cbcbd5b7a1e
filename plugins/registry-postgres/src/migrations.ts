import { BackendUnavailableError } from '@assets/core'
import { applyMigrations, type Migration, recomputeColumns, SchemaTooNewError, type SqlDialect } from '@assets/registry-sql'
import type { Lane } from './connection-lanes.js'
import { MIGRATION_LOCK_SPACE } from './key-lock.js'
import { pgSession } from './postgres-session.js'
import { transaction } from './transaction.js'

/**
 * Ordered and append-only: a published migration is never edited, a change is a new one.
 * Plain CREATE (no IF NOT EXISTS) on purpose, so a migration that somehow ran twice fails
 * loudly instead of silently diverging. Every text column that is compared or sorted uses the
 * "C" collation: byte order, as SQLite compares, whatever the database's default locale.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalogue',
    sql: `
      CREATE TABLE versions (
        key text COLLATE "C" NOT NULL,
        version text COLLATE "C" NOT NULL,
        kind text COLLATE "C" NOT NULL,
        type text COLLATE "C" NOT NULL CHECK (type IN ('file', 'folder')),
        digest text COLLATE "C" NOT NULL,
        size bigint NOT NULL,
        file_count bigint NOT NULL,
        location text COLLATE "C" NOT NULL,
        description text,
        -- Queried (containment, jsonpath); metadata_json keeps the document as written.
        metadata jsonb NOT NULL,
        metadata_json json NOT NULL,
        -- Derived at registration, keyed by dotted path: SQLite's reading of date strings, and
        -- the JSON text of arrays and objects, for range operators and sorting.
        metadata_dates jsonb NOT NULL,
        metadata_json_texts jsonb NOT NULL,
        key_folded text NOT NULL,
        description_folded text NOT NULL,
        provenance json,
        specs json,
        declarative_schema json,
        relationships json NOT NULL,
        acl jsonb NOT NULL,
        created_by text NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        deleted_at text COLLATE "C",
        deleted_by text,
        expires_at text COLLATE "C",
        is_latest boolean NOT NULL DEFAULT FALSE,
        is_head boolean NOT NULL DEFAULT FALSE,
        v_major bigint NOT NULL,
        v_minor bigint NOT NULL,
        v_patch bigint NOT NULL,
        v_prerelease text COLLATE "C",
        PRIMARY KEY (key, version)
      );
      CREATE UNIQUE INDEX versions_one_latest ON versions (key) WHERE is_latest;
      CREATE UNIQUE INDEX versions_one_head ON versions (key) WHERE is_head;
      CREATE INDEX versions_latest_created ON versions (created_at) WHERE is_latest;
      CREATE INDEX versions_created ON versions (created_at);
      CREATE INDEX versions_kind ON versions (kind) WHERE is_latest;
      CREATE INDEX versions_digest ON versions (digest);
      CREATE INDEX versions_location ON versions (location, type);
      CREATE INDEX versions_expires ON versions (expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX versions_metadata ON versions USING gin (metadata jsonb_path_ops);

      CREATE TABLE tags (
        key text COLLATE "C" NOT NULL,
        tag text COLLATE "C" NOT NULL,
        version text COLLATE "C" NOT NULL,
        PRIMARY KEY (key, tag),
        FOREIGN KEY (key, version) REFERENCES versions (key, version) ON DELETE CASCADE
      );
      CREATE INDEX tags_version ON tags (key, version);
      CREATE INDEX tags_tag ON tags (tag);

      CREATE TABLE relationships (
        from_key text COLLATE "C" NOT NULL,
        from_version text COLLATE "C" NOT NULL,
        relation text COLLATE "C" NOT NULL,
        to_key text COLLATE "C" NOT NULL,
        to_version text COLLATE "C" NOT NULL,
        PRIMARY KEY (from_key, from_version, relation, to_key, to_version),
        FOREIGN KEY (from_key, from_version) REFERENCES versions (key, version) ON DELETE CASCADE
      );
      CREATE INDEX relationships_to ON relationships (to_key, to_version);

      CREATE TABLE annotations (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key text COLLATE "C" NOT NULL,
        version text COLLATE "C" NOT NULL,
        text text NOT NULL,
        user_name text NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        FOREIGN KEY (key, version) REFERENCES versions (key, version) ON DELETE CASCADE
      );
      CREATE INDEX annotations_version ON annotations (key, version);

      CREATE TABLE audit (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at text NOT NULL,
        actor text NOT NULL,
        action text COLLATE "C" NOT NULL,
        key text COLLATE "C",
        version text COLLATE "C",
        details json
      );
      CREATE INDEX audit_key ON audit (key, id);
      CREATE INDEX audit_action ON audit (action, id);
    `,
  },
  {
    version: 2,
    name: 'metadata index without pending list',
    // With fastupdate, new entries wait in an unsorted pending list that every metadata
    // query scans until a vacuum merges it: after a burst of registrations, filters took
    // several times longer. A catalogue is read far more than written, so entries go
    // straight into the index.
    sql: `
      ALTER INDEX versions_metadata SET (fastupdate = off);
      SELECT gin_clean_pending_list('versions_metadata'::regclass);
    `,
  },
  {
    version: 3,
    name: 'file name',
    // The name `get` hands the content back under; NULL for versions registered before it was recorded.
    sql: 'ALTER TABLE versions ADD COLUMN file_name text;',
  },
  {
    version: 4,
    name: 'content leases',
    // Puts hold and gc claims stored locations here (Registry.holdContent), timed by the
    // database's clock so that workers' clocks never have to agree.
    sql: `
      CREATE TABLE content_leases (
        location text COLLATE "C" NOT NULL,
        holder text COLLATE "C" NOT NULL,
        claim boolean NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (location, holder)
      );
      CREATE INDEX content_leases_holder ON content_leases (holder);
      CREATE INDEX content_leases_expires ON content_leases (expires_at);
    `,
  },
  {
    version: 5,
    name: 'shared SQL layer',
    // The registry now runs on @assets/registry-sql, and range operators on metadata dates
    // read instants of ISO 8601 strings only, derived by core, instead of a port of SQLite's
    // date functions: the stored dates are derived again, and the JSON texts kept for sorting
    // (now cut at 256 characters).
    sql: '',
    backfill: recomputeColumns(['metadata_dates', 'metadata_json_texts']),
  },
  {
    version: 6,
    name: 'api tokens',
    // The asset server's API tokens (TokenStore): only the sha256 of each secret is kept.
    sql: `
      CREATE TABLE api_tokens (
        id text COLLATE "C" NOT NULL PRIMARY KEY,
        hash text COLLATE "C" NOT NULL,
        user_name text NOT NULL,
        groups_json text NOT NULL,
        roles_json text NOT NULL,
        description text,
        created_by text NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        expires_at text COLLATE "C",
        revoked_at text COLLATE "C",
        revoked_by text
      );
      CREATE INDEX api_tokens_created ON api_tokens (created_at, id);
    `,
  },
  {
    version: 7,
    name: 'holds and claims apart',
    // A put's holds no longer carry a location index (inserting 10⁵ random locations into one
    // was the largest cost of a 10⁵-file put); gc reads them whole. Claims keep their key,
    // which each hold looks up. Live leases are carried over: the old table is locked first, so
    // that a process of the previous release cannot add a lease between the copy and the drop.
    // A key of its own on holds, for logical replication (UPDATE and DELETE need a replica identity).
    sql: `
      LOCK TABLE content_leases IN ACCESS EXCLUSIVE MODE;
      CREATE TABLE content_holds (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        location text COLLATE "C" NOT NULL,
        holder text COLLATE "C" NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX content_holds_holder ON content_holds (holder);
      CREATE INDEX content_holds_expires ON content_holds (expires_at);
      CREATE TABLE content_claims (
        location text COLLATE "C" NOT NULL,
        holder text COLLATE "C" NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (location, holder)
      );
      CREATE INDEX content_claims_holder ON content_claims (holder);
      CREATE INDEX content_claims_expires ON content_claims (expires_at);
      INSERT INTO content_holds (location, holder, expires_at) SELECT location, holder, expires_at FROM content_leases WHERE NOT claim;
      INSERT INTO content_claims (location, holder, expires_at) SELECT location, holder, expires_at FROM content_leases WHERE claim;
      DROP TABLE content_leases;
    `,
  },
]

/**
 * Brings the schema up to date and returns the versions it applied. A schema that is current
 * costs one read and takes no lock. Otherwise the work happens in one transaction holding an
 * advisory lock: workers that start together on a new database queue on it, and every one
 * after the first finds nothing left to do. A schema migrated by a newer release of this
 * plugin is refused rather than written to.
 */
export async function migrate(lane: Lane, d: SqlDialect, schema: string, target: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const latestKnown = migrations.at(-1)?.version ?? 0
  const tooNew = (current: number) =>
    new BackendUnavailableError(
      'postgres',
      `the schema "${schema}" on ${target} is version ${current}, newer than this plugin knows (${latestKnown}): upgrade @assets/registry-postgres`,
    )
  const current = await currentVersion(lane, d)
  if (current > latestKnown) throw tooNew(current)
  if (current === latestKnown) return []
  return await transaction(lane, {}, async (tx) => {
    const s = pgSession(tx)
    await s.all('SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', [MIGRATION_LOCK_SPACE, schema])
    const [encoding] = await s.all<{ server_encoding: string }>('SHOW server_encoding')
    // Keys, tags and the key-prefix range rely on UTF-8 byte order, as in SQLite.
    if (encoding?.server_encoding !== 'UTF8') {
      throw new BackendUnavailableError('postgres', `the database ${target} uses ${encoding?.server_encoding} encoding; the registry needs UTF8`)
    }
    const [exists] = await s.all<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS found', [schema])
    // Only when missing: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege.
    if (!exists?.found) await s.run(`CREATE SCHEMA "${schema}"`)
    // Migrations name their tables unqualified.
    await s.run(`SET LOCAL search_path TO "${schema}"`)
    try {
      return await applyMigrations(s, d, migrations)
    } catch (error) {
      if (error instanceof SchemaTooNewError) throw tooNew(error.current)
      throw error
    }
  })
}

async function currentVersion(lane: Lane, d: SqlDialect): Promise<number> {
  const s = pgSession(lane.sql)
  const [table] = await s.all<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [d.tables.schemaVersion], { prepare: false })
  if (!table?.found) return 0
  const [row] = await s.all<{ v: number }>(`SELECT coalesce(max(version), 0) AS v FROM ${d.tables.schemaVersion}`, [], { prepare: false })
  return row?.v ?? 0
}
