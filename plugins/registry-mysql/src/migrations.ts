import type { Migration } from '@assets/registry-sql'
import { lockName } from './write-locks.js'

// Every table: InnoDB, utf8mb4 with the binary collation, so that text compares and sorts by
// code point (UTF-8 byte order) as in SQLite and PostgreSQL's "C" collation.
const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin'

/**
 * Ordered and append-only: a published migration is never edited, a change is a new one.
 *
 * MySQL's DDL is not transactional, so a migration cut short (the server gone mid-way) is run
 * again from its first statement: each statement is one atomic CREATE TABLE IF NOT EXISTS with
 * its indexes inline, which a second run skips. The connector holds a named lock around the
 * whole run, so processes starting together never interleave.
 *
 * Sizes: InnoDB limits an index to 3072 bytes, 768 utf8mb4 characters. Keys are at most 512
 * characters (core's MAX_KEY_LENGTH) and versions 256 (core's semver limit), so (key, version)
 * fits exactly; tags are at most 128. Identifiers are written with backticks here (`key` is
 * reserved), which stored expressions keep whatever a session's sql_mode.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'catalogue',
    sql: `
      CREATE TABLE IF NOT EXISTS versions (
        \`key\` VARCHAR(512) NOT NULL,
        version VARCHAR(256) NOT NULL,
        kind VARCHAR(64) NOT NULL,
        type VARCHAR(8) NOT NULL CHECK (type IN ('file', 'folder')),
        digest VARCHAR(128) NOT NULL,
        size BIGINT NOT NULL,
        file_count BIGINT NOT NULL,
        location VARCHAR(4096) NOT NULL,
        file_name TEXT,
        description MEDIUMTEXT,
        metadata LONGTEXT NOT NULL CHECK (json_valid(metadata)),
        metadata_sig BIGINT NOT NULL DEFAULT 0,
        metadata_dates LONGTEXT NOT NULL CHECK (json_valid(metadata_dates)),
        metadata_json_texts LONGTEXT NOT NULL CHECK (json_valid(metadata_json_texts)),
        key_folded VARCHAR(512) NOT NULL,
        description_folded MEDIUMTEXT NOT NULL,
        provenance LONGTEXT CHECK (json_valid(provenance)),
        specs LONGTEXT CHECK (json_valid(specs)),
        declarative_schema LONGTEXT CHECK (json_valid(declarative_schema)),
        relationships LONGTEXT NOT NULL CHECK (json_valid(relationships)),
        acl LONGTEXT NOT NULL CHECK (json_valid(acl)),
        created_by TEXT NOT NULL,
        created_at VARCHAR(40) NOT NULL,
        deleted_at VARCHAR(40),
        deleted_by TEXT,
        expires_at VARCHAR(40),
        is_latest TINYINT NOT NULL DEFAULT 0,
        is_head TINYINT NOT NULL DEFAULT 0,
        v_major BIGINT NOT NULL,
        v_minor BIGINT NOT NULL,
        v_patch BIGINT NOT NULL,
        v_prerelease VARCHAR(1024),
        -- MySQL has no partial indexes: a unique index on a column that is NULL except on the
        -- flagged row keeps one latest (and one head) version per key.
        latest_key VARCHAR(512) AS (CASE WHEN is_latest = 1 THEN \`key\` END) VIRTUAL,
        head_key VARCHAR(512) AS (CASE WHEN is_head = 1 THEN \`key\` END) VIRTUAL,
        PRIMARY KEY (\`key\`, version),
        UNIQUE KEY versions_one_latest (latest_key),
        UNIQUE KEY versions_one_head (head_key),
        -- Orders the latest versions newest first, then by key (the default order of a search,
        -- whose one row per key makes the key a complete tie-break), and holds the signature, so
        -- that equality filters reject most rows inside the index and a page stops early.
        KEY versions_latest_created (is_latest, created_at DESC, \`key\`, metadata_sig),
        KEY versions_created_sig (created_at, metadata_sig),
        KEY versions_kind (kind, is_latest),
        KEY versions_digest (digest),
        KEY versions_location (location(255), type),
        KEY versions_expires (expires_at)
      ) ${TABLE};

      CREATE TABLE IF NOT EXISTS tags (
        \`key\` VARCHAR(512) NOT NULL,
        tag VARCHAR(128) NOT NULL,
        version VARCHAR(256) NOT NULL,
        PRIMARY KEY (\`key\`, tag),
        KEY tags_version (\`key\`, version),
        KEY tags_tag (tag),
        CONSTRAINT tags_version_fk FOREIGN KEY (\`key\`, version) REFERENCES versions (\`key\`, version) ON DELETE CASCADE
      ) ${TABLE};

      CREATE TABLE IF NOT EXISTS relationships (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        from_key VARCHAR(512) NOT NULL,
        from_version VARCHAR(256) NOT NULL,
        relation VARCHAR(1024) NOT NULL,
        to_key VARCHAR(512) NOT NULL,
        to_version VARCHAR(256) NOT NULL,
        KEY relationships_from (from_key, from_version),
        KEY relationships_to (to_key, to_version),
        CONSTRAINT relationships_from_fk FOREIGN KEY (from_key, from_version) REFERENCES versions (\`key\`, version) ON DELETE CASCADE
      ) ${TABLE};

      CREATE TABLE IF NOT EXISTS annotations (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        \`key\` VARCHAR(512) NOT NULL,
        version VARCHAR(256) NOT NULL,
        text MEDIUMTEXT NOT NULL,
        user_name TEXT NOT NULL,
        created_at VARCHAR(40) NOT NULL,
        KEY annotations_version (\`key\`, version),
        CONSTRAINT annotations_version_fk FOREIGN KEY (\`key\`, version) REFERENCES versions (\`key\`, version) ON DELETE CASCADE
      ) ${TABLE};

      CREATE TABLE IF NOT EXISTS audit (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        at VARCHAR(40) NOT NULL,
        actor TEXT NOT NULL,
        action VARCHAR(255) NOT NULL,
        \`key\` VARCHAR(512),
        version VARCHAR(256),
        details LONGTEXT CHECK (json_valid(details)),
        KEY audit_key (\`key\`, id),
        KEY audit_action (action, id)
      ) ${TABLE};

      CREATE TABLE IF NOT EXISTS content_leases (
        location VARCHAR(512) NOT NULL,
        holder VARCHAR(255) NOT NULL,
        claim TINYINT NOT NULL CHECK (claim IN (0, 1)),
        -- Milliseconds since the epoch by the server's clock (NOW(3)), which every machine shares.
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (location, holder),
        KEY content_leases_holder (holder),
        KEY content_leases_expires (expires_at)
      ) ${TABLE};
    `,
  },
  {
    version: 2,
    name: 'api tokens',
    // The asset server's API tokens (TokenStore): only the sha256 of each secret is kept. One
    // CREATE TABLE IF NOT EXISTS with its index inline, so a run cut short is simply run again.
    sql: `
      CREATE TABLE IF NOT EXISTS api_tokens (
        id VARCHAR(16) NOT NULL PRIMARY KEY,
        hash CHAR(64) NOT NULL,
        user_name VARCHAR(255) NOT NULL,
        groups_json LONGTEXT NOT NULL CHECK (json_valid(groups_json)),
        roles_json LONGTEXT NOT NULL CHECK (json_valid(roles_json)),
        description MEDIUMTEXT,
        created_by TEXT NOT NULL,
        created_at VARCHAR(40) NOT NULL,
        expires_at VARCHAR(40),
        revoked_at VARCHAR(40),
        revoked_by TEXT,
        KEY api_tokens_created (created_at, id)
      ) ${TABLE};
    `,
  },
  {
    version: 3,
    name: 'holds and claims apart',
    // A put's holds no longer carry a location index (inserting 10⁵ random locations into one
    // was the largest cost of a 10⁵-file put); gc reads them whole. Claims keep their key,
    // which each hold looks up. Each statement can run again after a cut: the tables are
    // created if missing, and the live leases are carried over (backfill) only while the old
    // table is still there.
    sql: `
      CREATE TABLE IF NOT EXISTS content_holds (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        location VARCHAR(512) NOT NULL,
        holder VARCHAR(255) NOT NULL,
        expires_at BIGINT NOT NULL,
        KEY content_holds_holder (holder),
        KEY content_holds_expires (expires_at)
      ) ${TABLE};

      CREATE TABLE IF NOT EXISTS content_claims (
        location VARCHAR(512) NOT NULL,
        holder VARCHAR(255) NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (location, holder),
        KEY content_claims_holder (holder),
        KEY content_claims_expires (expires_at)
      ) ${TABLE};
    `,
    backfill: async (s) => {
      const [old] = await s.all<{ n: number | string }>(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'content_leases'",
      )
      if (Number(old?.n ?? 0) === 0) return
      // Under the catalogue's lease lock, which every lease call of the previous release takes
      // too: none can add a lease between the copy and the drop.
      const [current] = await s.all<{ db: string }>('SELECT DATABASE() AS db')
      const name = lockName(String(current?.db), 'leases')
      const [lock] = await s.all<{ got: number | string | null }>('SELECT GET_LOCK(?, 60) AS got', [name])
      if (Number(lock?.got) !== 1) throw new Error('waited 60 s for the lease lock to move the content leases')
      try {
        // A hold copied twice (a run cut before the DROP) is a second row of the same hold: harmless.
        await s.run('INSERT INTO content_holds (location, holder, expires_at) SELECT location, holder, expires_at FROM content_leases WHERE claim = 0')
        await s.run('INSERT IGNORE INTO content_claims (location, holder, expires_at) SELECT location, holder, expires_at FROM content_leases WHERE claim = 1')
        await s.run('DROP TABLE content_leases')
      } finally {
        await s.all('SELECT RELEASE_LOCK(?) AS released', [name])
      }
    },
  },
]
