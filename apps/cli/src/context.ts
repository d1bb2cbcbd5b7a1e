import type { GlobalOptions, OptionValues } from './args.js'
import type { CommandSpec } from './command-specs.js'
import type { Output } from './output.js'
import { Progress } from './progress.js'

/**
 * Ctrl-C, or SIGTERM (what `kill`, systemd and container runtimes send), handled alike. A
 * command that can stop cleanly (a transfer given an AbortSignal) calls `signal()`; then the
 * first signal aborts it and the manager removes what it had half-written. Any other command,
 * and a second signal, ends the process at once.
 */
export class Interrupt {
  private readonly controller = new AbortController()
  private cancellable = false
  /** The signal that interrupted the command, once one has. */
  by: 'SIGINT' | 'SIGTERM' | undefined

  /** The signal to hand to put/get/stream/verify; from now on Ctrl-C aborts instead of exiting. */
  signal(): AbortSignal {
    this.cancellable = true
    return this.controller.signal
  }

  get interrupted(): boolean {
    return this.controller.signal.aborted
  }

  /** Returns false when the process should exit right away. */
  onSignal(signal: 'SIGINT' | 'SIGTERM'): boolean {
    if (!this.cancellable || this.controller.signal.aborted) return false
    this.by = signal
    this.controller.abort()
    return true
  }
}

export interface CommandContext {
  command: CommandSpec
  values: OptionValues
  positionals: string[]
  globals: GlobalOptions
  out: Output
  interrupt: Interrupt
}

/**
 * A progress line on stderr, drawn only on a terminal and never with --quiet or --json, once
 * the operation has lasted ASSETS_PROGRESS_DELAY_MS (default 1000).
 */
export function progressFor(ctx: CommandContext, label: string, env: NodeJS.ProcessEnv = process.env): Progress {
  const stderr = ctx.out.streams.stderr
  const delay = Number(env.ASSETS_PROGRESS_DELAY_MS)
  return new Progress(stderr, label, {
    enabled: stderr.isTTY === true && !ctx.globals.quiet && !ctx.globals.json,
    delayMs: env.ASSETS_PROGRESS_DELAY_MS !== undefined && Number.isFinite(delay) && delay >= 0 ? delay : 1000,
  })
}

export type CommandRun = (ctx: CommandContext) => Promise<number | undefined>
