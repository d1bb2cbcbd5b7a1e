// A catalogue of BENCH_ASSETS (default 100 000) assets in each registry, SQLite, PostgreSQL and
// MySQL/MariaDB:
// - registration throughput (assets/s, sequential register calls: each one a transaction);
// - findAssets with a two-field metadata filter, as a user whose access is checked in the SQL,
//   p50 and p95 over BENCH_QUERIES runs, against the same query written by hand in SQL and run
//   on the same database in the same run (goal: ratio <= 1.5, p50 <= 10 ms).
// PostgreSQL: 127.0.0.1:5432, trust auth; MariaDB/MySQL: 127.0.0.1:3306, root without a password;
// in each, a database of the run's own is created and dropped.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compileQuery, defaultAccessControl, principalsOf, sha256, blobLocation } from '@assets/core'
import { createMysqlRegistry } from '@assets/registry-mysql'
import { createPostgresRegistry } from '@assets/registry-postgres'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import Database from 'better-sqlite3'
import mysql from 'mysql2/promise'
import postgres from 'postgres'

const N = Number(process.env.BENCH_ASSETS ?? 100_000)
const ONLY = process.env.BENCH_REGISTRIES?.split(',') // e.g. sqlite, postgres or mysql; default all three
const Q = Number(process.env.BENCH_QUERIES ?? 200)
const ORGANISMS = ['human', 'mouse', 'zebrafish', 'fly', 'yeast']
const TISSUES = Array.from({ length: 20 }, (_, i) => (i === 0 ? 'blood' : `tissue-${i}`))
const actor = { user: 'bench-reader', groups: ['lab'] }
const owners = ['alice', 'bob', 'carol', 'dan']

function record(i) {
  const digest = sha256(`asset ${i}`)
  const owner = owners[i % owners.length]
  return {
    key: `bench/${i.toString(36)}`,
    version: '1.0.0',
    kind: i % 3 === 0 ? 'model' : 'dataset',
    type: 'file',
    digest,
    size: i,
    fileCount: 1,
    location: blobLocation(digest),
    metadata: { organism: ORGANISMS[i % 5], tissue: TISSUES[Math.floor(i / 5) % 20], n_cells: (i * 7919) % 100_000, assay: i % 2 ? '10x' : 'smart-seq2' },
    relationships: [],
    // One asset in eight is private to its owner: the reader's ACL check has work to do.
    accessControl: defaultAccessControl({ user: owner }, i % 8 === 0 ? { read: [] } : { read: ['group:lab'] }),
    createdBy: `user:${owner}`,
    createdAt: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  }
}

const where = { organism: 'human', tissue: 'blood' }
const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]

async function timed(fn) {
  const times = []
  let rows = 0
  for (let i = 0; i < Q; i++) {
    const t = performance.now()
    rows = await fn()
    times.push(performance.now() - t)
  }
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), rows }
}

async function load(registry) {
  const t = performance.now()
  for (let i = 0; i < N; i++) await registry.register(record(i), { actor: `user:${owners[i % owners.length]}` })
  return N / ((performance.now() - t) / 1000)
}

function report(name, rate, ours, hand) {
  console.log(`${name}: register ${rate.toFixed(0)} assets/s; findAssets p50 ${ours.p50.toFixed(2)} ms, p95 ${ours.p95.toFixed(2)} ms (${ours.rows} rows); hand SQL p50 ${hand.p50.toFixed(2)} ms, p95 ${hand.p95.toFixed(2)} ms (${hand.rows} rows) -> ratio ${(ours.p50 / hand.p50).toFixed(2)} (goal <= 1.5, p50 <= 10 ms)`)
}

const query = compileQuery({ where, limit: 100 })
const scope = { principals: principalsOf(actor), superuser: false }
const principals = ['*', ...principalsOf(actor).filter((p) => p !== '*')]
console.log(`machine: 2 cores, node ${process.version}; ${N} assets; query ${JSON.stringify(where)} as ${actor.user} (group lab), limit 100`)

async function benchSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'assets-bench-registry-'))
  try {
    const sqlite = createSqliteRegistry({ path: join(dir, 'registry.db') })
    const rate = await load(sqlite)
    const ours = await timed(async () => (await sqlite.query(query, scope)).items.length)
    const db = new Database(join(dir, 'registry.db'), { readonly: true })
    const hand = db.prepare(`
      SELECT v.* FROM versions v
      WHERE v.is_latest = 1
        AND json_extract(v.metadata, '$.organism') = ? AND json_extract(v.metadata, '$.tissue') = ?
        AND (json_extract(v.acl, '$.owner') IN (SELECT value FROM json_each(?))
          OR EXISTS (SELECT 1 FROM json_each(v.acl, '$.read') a, json_each(?) p WHERE a.value = p.value)
          OR EXISTS (SELECT 1 FROM json_each(v.acl, '$.write') a, json_each(?) p WHERE a.value = p.value)
          OR EXISTS (SELECT 1 FROM json_each(v.acl, '$.admin') a, json_each(?) p WHERE a.value = p.value))
      ORDER BY v.created_at DESC LIMIT 101`)
    const p = JSON.stringify(principals)
    const handTimes = await timed(async () => hand.all(where.organism, where.tissue, p, p, p, p).length - 1)
    db.close()
    await sqlite.close()
    report('sqlite', rate, ours, handTimes)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function benchPostgres() {
  const admin = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', onnotice: () => {} }
  const database = `assets_bench_${randomBytes(4).toString('hex')}`
  const root = postgres({ ...admin, max: 1 })
  await root.unsafe(`CREATE DATABASE ${database}`)
  try {
    const pg = createPostgresRegistry({ host: admin.host, port: admin.port, user: admin.user, database })
    const rate = await load(pg)
    const sql = postgres({ ...admin, database, max: 1 })
    await sql`ANALYZE versions`
    const ours = await timed(async () => (await pg.query(query, scope)).items.length)
    const handTimes = await timed(async () => {
      const rows = await sql`
        SELECT * FROM versions v
        WHERE v.is_latest AND v.metadata @> ${sql.json(where)}
          AND ((v.acl ->> 'owner') = ANY(${principals}) OR (v.acl -> 'read') ?| ${principals}
            OR (v.acl -> 'write') ?| ${principals} OR (v.acl -> 'admin') ?| ${principals})
        ORDER BY v.created_at DESC LIMIT 101`
      return rows.length - 1
    })
    await sql.end()
    await pg.close()
    report('postgres', rate, ours, handTimes)
  } finally {
    await root.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await root.end()
  }
}

async function benchMysql() {
  const admin = { host: '127.0.0.1', port: 3306, user: 'root' }
  const database = `assets_bench_${randomBytes(4).toString('hex')}`
  const root = await mysql.createConnection(admin)
  await root.query(`CREATE DATABASE ${database}`)
  try {
    const registry = createMysqlRegistry({ ...admin, database })
    const rate = await load(registry)
    const db = await mysql.createConnection({ ...admin, database })
    await db.query('ANALYZE TABLE versions')
    const ours = await timed(async () => (await registry.query(query, scope)).items.length)
    // The same query as a person would write it for MariaDB/MySQL: JSON_VALUE on the metadata
    // and the ACL lists, ordered by the (is_latest, created_at) index.
    const p = JSON.stringify(principals)
    const handTimes = await timed(async () => {
      const [rows] = await db.query(
        `SELECT v.* FROM versions v
         WHERE v.is_latest = 1
           AND JSON_VALUE(v.metadata, '$.organism') = ? AND JSON_VALUE(v.metadata, '$.tissue') = ?
           AND (JSON_VALUE(v.acl, '$.owner') IN (?) OR JSON_OVERLAPS(JSON_EXTRACT(v.acl, '$.read'), ?)
             OR JSON_OVERLAPS(JSON_EXTRACT(v.acl, '$.write'), ?) OR JSON_OVERLAPS(JSON_EXTRACT(v.acl, '$.admin'), ?))
         ORDER BY v.created_at DESC LIMIT 101`,
        [where.organism, where.tissue, principals, p, p, p],
      )
      return rows.length - 1
    })
    await db.end()
    await registry.close()
    report('mysql', rate, ours, handTimes)
  } finally {
    await root.query(`DROP DATABASE IF EXISTS ${database}`)
    await root.end()
  }
}

if (!ONLY || ONLY.includes('sqlite')) await benchSqlite()
if (!ONLY || ONLY.includes('postgres')) await benchPostgres()
if (!ONLY || ONLY.includes('mysql')) await benchMysql()
