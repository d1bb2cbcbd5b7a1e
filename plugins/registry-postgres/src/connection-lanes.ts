import { BackendUnavailableError } from '@assets/core'
import type { Client } from './postgres-client.js'
import { isConnectionFailure } from './postgres-errors.js'

/** One single-connection client, lent to one operation at a time. */
export interface Lane {
  sql: Client
  /** Set when its connection is known to be unusable although the operation's own error says otherwise. */
  broken: boolean
}

/**
 * The registry's connection pool: up to `max` postgres.js clients of one connection each
 * ("lanes"), each lent to one operation at a time, so a transaction's statements share its
 * connection by construction. postgres.js's own pooling is not used, because in 3.4.9 a
 * connection the server kills at the wrong moment can end the process or wedge the pool:
 * sql.begin sends ROLLBACK on the dead connection and the write throws from a timer
 * (porsager/postgres#1154), a connection that dies while fetching its types rejects a promise
 * nobody handles, reserve() never settles on a fresh connection without those types, and a
 * socket closed with a write pending leaves a buffer that keeps the reconnected connection from
 * ever sending (#1208). A lane whose connection failed is therefore never reused: it is ended
 * in the background and a new client takes its place.
 */
export class LanePool {
  private readonly idle: Lane[] = []
  private readonly waiting: Array<{ resolve(lane: Lane): void; reject(error: unknown): void }> = []
  /** Every lane not yet retired, idle or lent out. */
  private readonly lanes = new Set<Lane>()
  private readonly retiring = new Set<Promise<void>>()
  private ended = false

  constructor(
    private readonly open: () => Client,
    private readonly max: number,
    private readonly target: string,
    first?: Client,
  ) {
    if (first) this.idle.push(this.add(first))
  }

  async use<T>(fn: (lane: Lane) => Promise<T>): Promise<T> {
    const lane = await this.acquire()
    let healthy = true
    try {
      return await fn(lane)
    } catch (error) {
      if (isConnectionFailure(error)) healthy = false
      throw error
    } finally {
      this.release(lane, healthy && !lane.broken)
    }
  }

  /** Ends every lane. */
  async end(): Promise<void> {
    this.ended = true
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.closedError())
    const idle = new Set(this.idle.splice(0))
    // Idle lanes have nothing to finish; statements running on lent-out ones get a few seconds.
    for (const lane of [...this.lanes]) this.retire(lane, idle.has(lane) ? 0 : 5)
    await Promise.all(this.retiring)
  }

  private acquire(): Promise<Lane> {
    if (this.ended) return Promise.reject(this.closedError())
    const lane = this.idle.pop()
    if (lane) return Promise.resolve(lane)
    if (this.lanes.size < this.max) return Promise.resolve(this.add(this.open()))
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }))
  }

  private release(lane: Lane, healthy: boolean): void {
    if (this.ended) return
    if (!healthy) {
      // Whatever killed this connection (a server restart, an operator terminating the
      // application's sessions) has most likely killed the idle ones too, before their
      // clients noticed: the retry must not land on one of them.
      for (const suspect of [lane, ...this.idle.splice(0)]) this.retire(suspect, 0)
      for (const waiter of this.waiting.splice(0, this.max - this.lanes.size)) waiter.resolve(this.add(this.open()))
      return
    }
    const waiter = this.waiting.shift()
    if (waiter) waiter.resolve(lane)
    else this.idle.push(lane)
  }

  private add(sql: Client): Lane {
    const lane = { sql, broken: false }
    this.lanes.add(lane)
    return lane
  }

  private retire(lane: Lane, graceSeconds: number): void {
    if (!this.lanes.delete(lane)) return
    const ending: Promise<void> = lane.sql
      .end({ timeout: graceSeconds })
      .catch(() => {})
      .finally(() => this.retiring.delete(ending))
    this.retiring.add(ending)
  }

  private closedError(): BackendUnavailableError {
    return new BackendUnavailableError('postgres', `the registry on ${this.target} was closed`)
  }
}
