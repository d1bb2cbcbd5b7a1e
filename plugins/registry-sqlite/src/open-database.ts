import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { AssetError, BackendUnavailableError, metadataSignature } from '@assets/core'
import Database from 'better-sqlite3'

const IN_MEMORY = ':memory:'

/** Opens the file and makes it safe for several processes at once; the connector migrates it. */
export function openDatabase(path: string, busyTimeoutMs: number, shared = false): Database.Database {
  let db: Database.Database | undefined
  try {
    if (path !== IN_MEMORY && !path.startsWith('file:')) createFile(path, shared)
    db = new Database(path, { timeout: busyTimeoutMs })
    setWriteAheadLog(db, busyTimeoutMs)
    db.pragma('foreign_keys = ON')
    // WAL makes NORMAL durable against application crashes; only a power loss can drop the
    // last commits, never corrupt the file.
    db.pragma('synchronous = NORMAL')
    registerFunctions(db)
    return db
  } catch (error) {
    db?.close()
    throw new BackendUnavailableError('sqlite', `could not open ${path}: ${messageOf(error)}`, { cause: error })
  }
}

/**
 * Raw SQLite failures become BackendUnavailableError naming the operation; our own errors
 * (conflicts, not found) pass through unchanged.
 */
export function wrapSqliteError(error: unknown, what: string, path: string): unknown {
  if (AssetError.isInstance(error)) return error
  if (error instanceof Database.SqliteError) {
    return new BackendUnavailableError('sqlite', `${what} failed on ${path}: ${error.message} (${error.code})`, { cause: error })
  }
  return error
}

/**
 * Creates a missing database file owner-only unless shared: SQLite gives its -wal and -shm
 * files the database's own mode, so the whole catalogue stays private. An existing file keeps
 * its mode, and an empty file is a valid empty database.
 */
function createFile(path: string, shared: boolean): void {
  mkdirSync(dirname(path), { recursive: true, ...(shared ? {} : { mode: 0o700 }) })
  closeSync(openSync(path, 'a', shared ? 0o666 : 0o600))
}

function messageOf(error: unknown): string {
  if (error instanceof Database.SqliteError) return `${error.message} (${error.code})`
  return error instanceof Error ? error.message : String(error)
}

/**
 * Switching to WAL needs a moment of exclusive access, which the busy handler does not always
 * wait for when several processes open a new file at once; retry within the busy timeout.
 */
function setWriteAheadLog(db: Database.Database, busyTimeoutMs: number): void {
  if (db.memory) return
  const deadline = Date.now() + busyTimeoutMs
  for (;;) {
    try {
      db.pragma('journal_mode = WAL')
      return
    } catch (error) {
      const busy = error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY')
      if (!busy || Date.now() >= deadline) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
    }
  }
}

function registerFunctions(db: Database.Database): void {
  // SQLite's lower() and LIKE fold ASCII only; descriptions are often not ASCII.
  db.function('assets_fold_case', { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  )
  // Migrations fill the signature of rows written before it existed.
  db.function('assets_metadata_signature', { deterministic: true }, (metadata: unknown) =>
    typeof metadata === 'string' ? metadataSignature(JSON.parse(metadata)) : 0,
  )
}
