import { setTimeout as delay } from 'node:timers/promises'
import { type Logger, redactUrl } from '@assets/core'
import { createClient, ErrorReply, type RedisClientType } from 'redis'

/** What an operation gets instead of a reply when Redis cannot be used right now. */
export const BYPASS: unique symbol = Symbol('redis bypassed')
export type Bypass = typeof BYPASS

export interface RedisConnectionOptions {
  url: string
  /** The URL without its password: the only form that reaches a log line. */
  where: string
  /** Named in the warning, so an operator knows where the cache went meanwhile. */
  localPath: string
  connectTimeoutMs: number
  commandTimeoutMs: number
  logger: Logger
}

// Reconnection keeps trying at most this often while Redis is away, so it comes back within
// about a second of Redis and a closed cache lingers at most this long on a pending retry.
const LONGEST_BACKOFF_MS = 1000
const SCAN_COUNT = 500
// What a command that got no answer in time resolves to.
const HUNG: unique symbol = Symbol('no answer')

export type RedisClient = RedisClientType

function openClient(options: RedisConnectionOptions, isClosed: () => boolean): RedisClient {
  return createClient({
    url: options.url,
    // A command sent while disconnected fails at once instead of queueing: the local tier answers.
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs },
    socket: {
      connectTimeout: options.connectTimeoutMs,
      reconnectStrategy: (retries: number) =>
        isClosed() ? false : Math.min(50 * 2 ** retries, LONGEST_BACKOFF_MS) + Math.floor(Math.random() * 100),
    },
  })
}

/**
 * The one Redis client of a cache, connected on first use. While Redis is unreachable every
 * operation is told at once to use the local tier (no waiting on a dead server), the client keeps
 * reconnecting in the background, and the cache returns to Redis by itself. Losing and regaining
 * Redis is logged once each, not once per operation.
 */
export class RedisConnection {
  private client: RedisClient | undefined
  private firstConnection: Promise<void> | undefined
  private unavailable = false
  private closed = false
  private recovering: Promise<void> | undefined
  private readonly warnedReplies = new Set<string>()
  private readonly recoveryHooks: Array<(client: RedisClient) => Promise<void>> = []

  constructor(private readonly options: RedisConnectionOptions) {}

  /** True when operations currently go to Redis. */
  get available(): boolean {
    return !this.closed && this.client?.isReady === true && !this.unavailable
  }

  /** Runs after each reconnection, before any other operation reaches Redis (to catch up on what happened meanwhile). */
  onRecovery(hook: (client: RedisClient) => Promise<void>): void {
    this.recoveryHooks.push(hook)
  }

  /**
   * The client when Redis can take a command now, else null. Only the first call waits, and
   * at most connectTimeoutMs, for the first connection.
   */
  async ready(): Promise<RedisClient | null> {
    if (this.closed) return null
    if (this.client === undefined) this.open(true)
    if (this.client?.isReady !== true && this.firstConnection !== undefined) await this.firstConnection
    if (this.recovering !== undefined) await this.recovering
    const client = this.client
    return !this.closed && client?.isReady === true ? client : null
  }

  /**
   * Runs `run` against Redis; BYPASS when Redis is unavailable, fails, or does not answer within
   * commandTimeoutMs, so that the caller uses the local tier. node-redis only times out commands
   * still waiting to be written, not replies a hung server never sends, hence the timer here;
   * `run` should therefore be a few round trips, not a walk over the whole keyspace (see `scan`).
   */
  async attempt<T>(what: string, run: (client: RedisClient) => Promise<T>): Promise<T | Bypass> {
    const client = await this.ready()
    return client === null ? BYPASS : this.bounded(what, client, run)
  }

  private async bounded<T>(what: string, client: RedisClient, run: (client: RedisClient) => Promise<T>): Promise<T | Bypass> {
    let timer: NodeJS.Timeout | undefined
    const hung = new Promise<typeof HUNG>((resolve) => {
      timer = setTimeout(() => resolve(HUNG), this.options.commandTimeoutMs)
    })
    try {
      const result = await Promise.race([run(client), hung])
      if (result === HUNG) {
        this.failed(what, HUNG, client)
        return BYPASS
      }
      // Marked unavailable by a failure that did not drop the connection: no reconnection
      // will announce the recovery, so this success does.
      if (this.unavailable && client === this.client) this.recovered(client)
      return result
    } catch (error) {
      this.failed(what, error, client)
      return BYPASS
    } finally {
      clearTimeout(timer)
    }
  }

  /** The keys matching `pattern`, a batch per SCAN round trip; ends early (quietly) when Redis fails. */
  async *scan(what: string, pattern: string): AsyncGenerator<string[]> {
    let cursor = '0'
    do {
      const reply = await this.attempt(what, (client) => client.scan(cursor, { MATCH: pattern, COUNT: SCAN_COUNT }))
      if (reply === BYPASS) return
      cursor = reply.cursor
      if (reply.keys.length > 0) yield reply.keys
    } while (cursor !== '0')
  }

  /** Records a failed command: a refusal by the server is reported once per kind; anything else means Redis is unavailable. */
  private failed(what: string, error: unknown, client: RedisClient): void {
    if (error instanceof ErrorReply) {
      const kind = error.message.split(' ')[0] ?? 'ERR'
      if (!this.warnedReplies.has(kind)) {
        this.warnedReplies.add(kind)
        this.options.logger.warn(`redis cache: Redis at ${this.options.where} refused ${what} (${describe(error)}); the local tier answered instead`)
      }
      return
    }
    const reason = error === HUNG ? `no answer within ${this.options.commandTimeoutMs} ms` : describe(error)
    this.markUnavailable(`${what} failed: ${reason}`)
    // A hung server or link never fails the connection by itself: a new one is the way back,
    // and dropping the old one fails the commands still waiting on it.
    if (error === HUNG && client === this.client && !this.closed) {
      this.client = undefined
      destroyQuietly(client)
      this.open(false)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    const client = this.client
    this.client = undefined
    if (client === undefined || !client.isOpen) return
    if (client.isReady) {
      const timer = new AbortController()
      const closed = await Promise.race([
        client.close().then(
          () => true,
          () => false,
        ),
        delay(this.options.commandTimeoutMs, false, { signal: timer.signal }).catch(() => false),
      ])
      timer.abort()
      if (closed) return
    }
    destroyQuietly(client)
  }

  private open(first: boolean): void {
    const client = openClient(this.options, () => this.closed)
    this.client = client
    client.on('error', (error: unknown) => {
      if (client === this.client) this.markUnavailable(describe(error))
    })
    client.on('ready', () => {
      if (client === this.client) this.recovered(client)
    })
    // connect() keeps retrying by the reconnect strategy and settles only once connected or
    // closed; operations do not wait for it, they look at isReady.
    client.connect().catch(() => {})
    if (first) this.firstConnection = firstOutcome(client, this.options.connectTimeoutMs)
  }

  private markUnavailable(reason: string): void {
    if (this.unavailable || this.closed) return
    this.unavailable = true
    this.options.logger.warn(
      `redis cache: Redis at ${this.options.where} is unavailable (${redactUrl(reason)}); ` +
        `using the local cache at ${this.options.localPath} alone until it is back`,
    )
  }

  private recovered(client: RedisClient): void {
    if (!this.unavailable) return
    this.unavailable = false
    this.options.logger.info?.(`redis cache: Redis at ${this.options.where} is reachable again; the shared tier is back in use`)
    this.recovering = this.catchUp(client).finally(() => {
      this.recovering = undefined
    })
  }

  /** Runs the recovery hooks, bounded like any command so that a server that hangs again cannot stall every operation. */
  private async catchUp(client: RedisClient): Promise<void> {
    // Not through attempt(): that waits for this very catch-up to finish.
    await this.bounded('catching up after reconnecting', client, async (ready) => {
      for (const hook of this.recoveryHooks) await hook(ready)
    })
  }
}

/** Settles when the first connection attempt succeeds, fails, or takes longer than `timeoutMs`. */
function firstOutcome(client: RedisClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      client.off('ready', done)
      client.off('error', done)
      resolve()
    }
    const timer = setTimeout(done, timeoutMs)
    client.once('ready', done)
    client.once('error', done)
  })
}

function destroyQuietly(client: RedisClient): void {
  try {
    if (client.isOpen) client.destroy()
  } catch {
    // Already closed: nothing left to release.
  }
}

/** A short reason for a log line: the message, else the system error code (an AggregateError of a refused dual-stack connect has no message). */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return redactUrl(String(error))
  const code = (error as { code?: unknown }).code
  const text = error.message !== '' ? error.message : typeof code === 'string' ? code : error.name
  return redactUrl(text)
}
