import type { Registry } from '@assets/core'
import type { RegistryFactory } from './registry-processes.js'

/** The server options every SQL-server registry shares (`serverOptionFields` of @assets/registry-sql) that the suite sets. */
export interface SqlServerOverrides {
  port?: number
  user?: string
  password?: string
  maxConnections?: number
  connectTimeoutSeconds?: number
}

/** A lock of the test's own, on a connection of its own, until `release()`. */
export interface HeldLock {
  /** Ends the hold (commits or unlocks), so that the registry's waiting statement goes on; again, it does nothing. */
  release(): Promise<void>
}

/**
 * One test's part of the server: a namespace no other test uses (a PostgreSQL schema, a MySQL
 * database) and the test's own ways to look behind the registry's back in it.
 */
export interface SqlServerNamespace<O> {
  /** The database errors name after `host:port/` (the schema's database for PostgreSQL). */
  database: string
  /** Options of a registry in this namespace on the test server; `overrides` win. */
  options(overrides?: SqlServerOverrides): O
  /** Options of a registry in this namespace as connection URLs to 127.0.0.1:`port`, one per URL scheme the plugin accepts. */
  urlOptions(port: number, password: string): O[]
  /** The migration versions the namespace records as applied, ascending. */
  appliedMigrations(): Promise<number[]>
  /** Holds the lock the registry takes to mutate `key`, so that its mutations of `key` wait. */
  holdKeyLock(key: string): Promise<HeldLock>
  /** Locks the versions table, so that the registry's reads of it wait on a lock. */
  lockVersions(): Promise<HeldLock>
  /**
   * Holds what a `register` of `key` waits for after its transaction has begun, so that the
   * transaction can be killed while it is open.
   */
  holdOpenWrite(key: string): Promise<HeldLock>
  /** Resolves once one of the registry's connections waits on a lock the test holds. */
  waitForLockWait(): Promise<void>
  /**
   * Kills the registry's server connections (with `waitingOnLock`, only those waiting on a lock
   * the test holds) and returns how many it killed; with `wait: false` it does not wait until
   * they are gone where the server lets it choose.
   */
  killConnections(options?: { waitingOnLock?: boolean; wait?: boolean }): Promise<number>
  /** Ends the test's own connections (and any lock still held). */
  close(): Promise<void>
}

/** What differs between the SQL-server registries in `sqlServerRegistrySuite`. */
export interface SqlServerFixture<O> {
  /** The built plugin, which the multi-process cases' children import (build it first). */
  plugin: RegistryFactory
  /** The plugin's factory, as the test process calls it. */
  create(options: O): Registry
  /** The versions of every migration the plugin ships, ascending. */
  migrations: number[]
  /** The server the tests use; a fault case puts a TCP proxy in front of it. */
  server: { host: string; port: number }
  /**
   * A password registries on the server are given where it must be accepted: under trust
   * authentication any, so one every error is checked never to show; '' for a user without one.
   */
  password: string
  /** What the namespace is, in test names: `schema`, `database`. */
  namespaceKind: string
  /** How connections are killed, in test names: `by pg_terminate_backend`. */
  killedWith: string
  /** What the message of a connection attempt that timed out names (`CONNECT_TIMEOUT`, `ETIMEDOUT`). */
  connectTimeout: RegExp
  /** A fresh namespace, labelled for whoever reads the server's list of them. */
  namespace(label: string): Promise<SqlServerNamespace<O>>
}
