import { type Migration, recomputeColumns } from '@assets/registry-sql'

/**
 * Ordered and append-only: a published migration is never edited, a change is a new one.
 * Plain CREATE (no IF NOT EXISTS) on purpose, so a migration that somehow ran twice fails
 * loudly instead of silently diverging.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalogue',
    sql: `
      CREATE TABLE versions (
        key TEXT NOT NULL,
        version TEXT NOT NULL,
        kind TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('file', 'folder')),
        digest TEXT NOT NULL,
        size INTEGER NOT NULL,
        file_count INTEGER NOT NULL,
        location TEXT NOT NULL,
        description TEXT,
        metadata TEXT NOT NULL CHECK (json_valid(metadata)),
        provenance TEXT,
        specs TEXT,
        declarative_schema TEXT,
        relationships TEXT NOT NULL CHECK (json_valid(relationships)),
        acl TEXT NOT NULL CHECK (json_valid(acl)),
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        deleted_at TEXT,
        deleted_by TEXT,
        expires_at TEXT,
        is_latest INTEGER NOT NULL DEFAULT 0,
        is_head INTEGER NOT NULL DEFAULT 0,
        v_major INTEGER NOT NULL,
        v_minor INTEGER NOT NULL,
        v_patch INTEGER NOT NULL,
        v_prerelease TEXT,
        PRIMARY KEY (key, version)
      );
      CREATE UNIQUE INDEX versions_one_latest ON versions (key) WHERE is_latest = 1;
      CREATE UNIQUE INDEX versions_one_head ON versions (key) WHERE is_head = 1;
      CREATE INDEX versions_latest_created ON versions (is_latest, created_at);
      CREATE INDEX versions_created ON versions (created_at);
      CREATE INDEX versions_kind ON versions (kind, is_latest);
      CREATE INDEX versions_digest ON versions (digest);
      CREATE INDEX versions_location ON versions (location, type);
      CREATE INDEX versions_expires ON versions (expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE tags (
        key TEXT NOT NULL,
        tag TEXT NOT NULL,
        version TEXT NOT NULL,
        PRIMARY KEY (key, tag),
        FOREIGN KEY (key, version) REFERENCES versions (key, version) ON DELETE CASCADE
      );
      CREATE INDEX tags_version ON tags (key, version);
      CREATE INDEX tags_tag ON tags (tag);

      CREATE TABLE relationships (
        from_key TEXT NOT NULL,
        from_version TEXT NOT NULL,
        relation TEXT NOT NULL,
        to_key TEXT NOT NULL,
        to_version TEXT NOT NULL,
        PRIMARY KEY (from_key, from_version, relation, to_key, to_version),
        FOREIGN KEY (from_key, from_version) REFERENCES versions (key, version) ON DELETE CASCADE
      );
      CREATE INDEX relationships_to ON relationships (to_key, to_version);

      CREATE TABLE annotations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        version TEXT NOT NULL,
        text TEXT NOT NULL,
        user TEXT NOT NULL,
        created_at TEXT NOT NULL,
        FOREIGN KEY (key, version) REFERENCES versions (key, version) ON DELETE CASCADE
      );
      CREATE INDEX annotations_version ON annotations (key, version);

      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        key TEXT,
        version TEXT,
        details TEXT CHECK (details IS NULL OR json_valid(details))
      );
      CREATE INDEX audit_key ON audit (key, id);
      CREATE INDEX audit_action ON audit (action, id);
    `,
  },
  {
    version: 2,
    name: 'metadata signature',
    // Equality filters test the signature (core's metadataSignature) from the index that also
    // orders the latest versions, and parse the JSON of only the rows whose bits match.
    sql: `
      ALTER TABLE versions ADD COLUMN metadata_sig INTEGER NOT NULL DEFAULT 0;
      UPDATE versions SET metadata_sig = assets_metadata_signature(metadata);
      DROP INDEX versions_latest_created;
      CREATE INDEX versions_latest_created ON versions (is_latest, created_at, metadata_sig);
      CREATE INDEX versions_created_sig ON versions (created_at, metadata_sig);
      DROP INDEX versions_created;
    `,
  },
  {
    version: 3,
    name: 'file name',
    // The name `get` hands the content back under; NULL for versions registered before it was recorded.
    sql: 'ALTER TABLE versions ADD COLUMN file_name TEXT;',
  },
  {
    version: 4,
    name: 'content leases',
    // Puts hold and gc claims stored locations here (Registry.holdContent); expires_at is in
    // milliseconds since the epoch, compared with this process's clock (one machine).
    sql: `
      CREATE TABLE content_leases (
        location TEXT NOT NULL,
        holder TEXT NOT NULL,
        claim INTEGER NOT NULL CHECK (claim IN (0, 1)),
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (location, holder)
      );
      CREATE INDEX content_leases_holder ON content_leases (holder);
      CREATE INDEX content_leases_expires ON content_leases (expires_at);
    `,
  },
  {
    version: 5,
    name: 'shared SQL layer',
    // The registry now runs on @assets/registry-sql: annotations name their author user_name,
    // as in every dialect, and range operators on metadata dates read the instants derived at
    // registration (ISO 8601 strings only) instead of SQLite's date functions.
    sql: `
      ALTER TABLE annotations RENAME COLUMN user TO user_name;
      ALTER TABLE versions ADD COLUMN metadata_dates TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata_dates));
    `,
    backfill: recomputeColumns(['metadata_dates']),
  },
  {
    version: 6,
    name: 'api tokens',
    // The asset server's API tokens (TokenStore): only the sha256 of each secret is kept.
    sql: `
      CREATE TABLE api_tokens (
        id TEXT NOT NULL PRIMARY KEY,
        hash TEXT NOT NULL,
        user_name TEXT NOT NULL,
        groups_json TEXT NOT NULL CHECK (json_valid(groups_json)),
        roles_json TEXT NOT NULL CHECK (json_valid(roles_json)),
        description TEXT,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        revoked_by TEXT
      );
      CREATE INDEX api_tokens_created ON api_tokens (created_at, id);
    `,
  },
  {
    version: 7,
    name: 'holds and claims apart',
    // A put's holds no longer carry a location index (inserting 10⁵ random locations into one
    // was the largest cost of a 10⁵-file put); gc reads them whole. Claims keep their key,
    // which each hold looks up. Live leases are carried over.
    sql: `
      CREATE TABLE content_holds (
        location TEXT NOT NULL,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX content_holds_holder ON content_holds (holder);
      CREATE INDEX content_holds_expires ON content_holds (expires_at);
      CREATE TABLE content_claims (
        location TEXT NOT NULL,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (location, holder)
      );
      CREATE INDEX content_claims_holder ON content_claims (holder);
      CREATE INDEX content_claims_expires ON content_claims (expires_at);
      INSERT INTO content_holds (location, holder, expires_at) SELECT location, holder, expires_at FROM content_leases WHERE claim = 0;
      INSERT INTO content_claims (location, holder, expires_at) SELECT location, holder, expires_at FROM content_leases WHERE claim = 1;
      DROP TABLE content_leases;
    `,
  },
]
