import { type Logger, redactUrl } from '@assets/core'
import { Client, Server } from 'memjs'
import type { MemcachedServerAddress } from './memcached-cache-options.js'

/** What an operation gets instead of a reply when memcached cannot be used right now. */
export const BYPASS: unique symbol = Symbol('memcached bypassed')
export type Bypass = typeof BYPASS

export type MemcachedClient = Client

export interface MemcachedConnectionOptions {
  servers: MemcachedServerAddress[]
  /** host:port list, the only form of the servers that reaches a log line. */
  where: string
  username: string | undefined
  password: string | undefined
  /** Named in the warning, so an operator knows where the cache went meanwhile. */
  localPath: string
  connectTimeoutMs: number
  commandTimeoutMs: number
  retryIntervalMs: number
  logger: Logger
}

// What memjs reports (as a bare string, not an Error) when the server refuses the credentials.
const AUTH_FAILED = 'authentication failed'
// memjs prefixes a reply's error status with the command (`MemJS SET: Value too large`); its own
// failures (`MemJS: Server … failed`) and socket errors mean the server could not be used.
const REFUSAL = /^MemJS [A-Z]+: /

/**
 * The memjs client of a cache, connecting on first use. While memcached is unreachable (down,
 * hung past commandTimeoutMs, or refusing our credentials) every operation is told at once to
 * use the local tier, and one operation every retryIntervalMs tries it again, so the cache
 * returns to memcached by itself. Losing and regaining it is logged once each.
 */
export class MemcachedConnection {
  private client: Client | undefined
  private unavailable = false
  private retryAt = 0
  private probing: Promise<boolean> | undefined
  private closed = false
  private readonly warnedRefusals = new Set<string>()
  private readonly recoveryHooks: Array<(client: Client) => Promise<void>> = []

  constructor(private readonly options: MemcachedConnectionOptions) {}

  /** True when operations currently go to memcached. */
  get available(): boolean {
    return !this.closed && !this.unavailable
  }

  /** Runs after memcached comes back, before any other operation reaches it (to catch up on what happened meanwhile). */
  onRecovery(hook: (client: Client) => Promise<void>): void {
    this.recoveryHooks.push(hook)
  }

  /** Runs `run` against memcached; BYPASS when it is unavailable or fails, so that the caller uses the local tier. */
  async attempt<T>(what: string, run: (client: Client) => Promise<T>): Promise<T | Bypass> {
    if (this.closed) return BYPASS
    if (this.unavailable && !(await this.probe())) return BYPASS
    const client = this.open()
    try {
      return await run(client)
    } catch (error) {
      this.failed(what, error)
      return BYPASS
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.client?.close()
    this.client = undefined
  }

  private open(): Client {
    if (this.client !== undefined) return this.client
    const { username, password, connectTimeoutMs, commandTimeoutMs } = this.options
    // memjs would otherwise fall back to MEMCACHE(IER)_USERNAME/PASSWORD from the environment:
    // the credentials are the ones configured, or none.
    const serverOptions = { timeout: commandTimeoutMs / 1000, conntimeout: connectTimeoutMs / 1000 }
    const servers = this.options.servers.map((address) => {
      const server = new Server(address.host, address.port, username, password, serverOptions)
      return Object.assign(server, { username, password })
    })
    // One try per operation: the bypass answers at once, and the retry interval brings memcached back.
    this.client = new Client(servers, { retries: 1, failover: false, logger: { log: () => {} } })
    return this.client
  }

  /** After a failure: false until retryIntervalMs has passed; then one operation tries memcached, and the others wait for its answer. */
  private probe(): Promise<boolean> {
    if (this.probing !== undefined) return this.probing
    if (Date.now() < this.retryAt) return Promise.resolve(false)
    this.probing = this.tryAgain().finally(() => {
      this.probing = undefined
    })
    return this.probing
  }

  private async tryAgain(): Promise<boolean> {
    const client = this.open()
    try {
      await client.get(`${PROBE_KEY}`)
      for (const hook of this.recoveryHooks) await hook(client)
    } catch (error) {
      this.retryAt = Date.now() + this.options.retryIntervalMs
      if (isAuthFailure(error)) forgetAuthWaiters(client)
      return false
    }
    this.unavailable = false
    this.options.logger.info?.(`memcached cache: memcached at ${this.options.where} is reachable again; the shared tier is back in use`)
    return true
  }

  /** A refusal of one command is reported once per kind; anything else makes memcached unavailable. */
  private failed(what: string, error: unknown): void {
    const message = describe(error)
    if (REFUSAL.test(message) && !message.includes(AUTH_FAILED)) {
      const kind = message.split(':')[1]?.trim() ?? message
      if (!this.warnedRefusals.has(kind)) {
        this.warnedRefusals.add(kind)
        this.options.logger.warn(`memcached cache: memcached at ${this.options.where} refused ${what} (${message}); the local tier answered instead`)
      }
      return
    }
    this.retryAt = Date.now() + this.options.retryIntervalMs
    if (this.unavailable || this.closed) return
    this.unavailable = true
    if (isAuthFailure(error)) {
      if (this.client !== undefined) forgetAuthWaiters(this.client)
      this.options.logger.warn(
        `memcached cache: [CONFIG_INVALID] memcached at ${this.options.where} refused the SASL credentials ` +
          `(check username/password, MEMCACHED_USERNAME/MEMCACHED_PASSWORD); using the local cache at ${this.options.localPath} alone`,
      )
      return
    }
    this.options.logger.warn(
      `memcached cache: [BACKEND_UNAVAILABLE] memcached at ${this.options.where} is unavailable (${what} failed: ${message}); ` +
        `using the local cache at ${this.options.localPath} alone until it is back`,
    )
  }
}

// A key nobody writes: reading it is the cheapest full round trip (and SASL handshake).
const PROBE_KEY = 'assets-cache-memcached-probe'

function isAuthFailure(error: unknown): boolean {
  return describe(error).includes(AUTH_FAILED)
}

/**
 * memjs waits for each connection's SASL handshake with a listener that a refused handshake
 * never removes; without this, retrying every second would pile them up (and make Node warn).
 */
function forgetAuthWaiters(client: Client): void {
  for (const server of client.servers) if (!server.connected) server.removeAllListeners('authenticated')
}

/** A short reason for a log line: the message, else the system error code; memjs reports some failures as bare strings. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return redactUrl(String(error))
  const code = (error as { code?: unknown }).code
  const text = error.message !== '' ? error.message : typeof code === 'string' ? code : error.name
  return redactUrl(text)
}
