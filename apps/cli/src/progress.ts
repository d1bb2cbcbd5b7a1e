import { formatBytes } from './output.js'

export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write(text: string): boolean
}

export interface ProgressOptions {
  /** False draws nothing at all: not a terminal, `--quiet` or `--json`. */
  enabled: boolean
  /** Nothing is drawn for operations shorter than this (default 1 s). */
  delayMs?: number
  /** Redraw period (default 100 ms). */
  intervalMs?: number
  now?: () => number
}

const BAR_WIDTH = 20

/**
 * One line on stderr, redrawn in place: a bar when the total is known, else bytes and rate,
 * else the phase and elapsed time. Drawing starts only once the operation has lasted
 * `delayMs`, so quick commands never flicker; `finish()` erases the line.
 */
export class Progress {
  private readonly stream: ProgressStream
  private readonly label: string
  private readonly now: () => number
  private readonly started: number
  private bytes: number | undefined
  private total: number | undefined
  private phase = ''
  private drawn = false
  private delay: NodeJS.Timeout | undefined
  private interval: NodeJS.Timeout | undefined

  constructor(stream: ProgressStream, label: string, options: ProgressOptions) {
    this.stream = stream
    this.label = label
    this.now = options.now ?? Date.now
    this.started = this.now()
    if (!options.enabled) return
    const intervalMs = options.intervalMs ?? 100
    // Timers are unref'd: a progress bar must never keep the process alive.
    this.delay = setTimeout(() => {
      this.draw()
      this.interval = setInterval(() => this.draw(), intervalMs)
      this.interval.unref()
    }, options.delayMs ?? 1000)
    this.delay.unref()
  }

  update(progress: { bytes?: number; total?: number }): void {
    if (progress.bytes !== undefined) this.bytes = progress.bytes
    if (progress.total !== undefined) this.total = progress.total
  }

  setPhase(phase: string): void {
    this.phase = phase
  }

  /** Stops drawing and erases the line, so that what follows starts on a clean line. */
  finish(): void {
    clearTimeout(this.delay)
    clearInterval(this.interval)
    this.delay = undefined
    this.interval = undefined
    if (this.drawn) this.stream.write('\r\x1b[K')
    this.drawn = false
  }

  /** The line as it would be drawn now. */
  render(): string {
    const seconds = Math.max((this.now() - this.started) / 1000, 0.001)
    const parts = [this.label]
    if (this.bytes !== undefined && this.total !== undefined && this.total > 0) {
      const ratio = Math.min(this.bytes / this.total, 1)
      const filled = Math.round(ratio * BAR_WIDTH)
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`, `${Math.floor(ratio * 100)}%`.padStart(4))
      parts.push(`${formatBytes(this.bytes)} / ${formatBytes(this.total)}`, `${formatBytes(this.bytes / seconds)}/s`)
    } else if (this.bytes !== undefined) {
      parts.push(formatBytes(this.bytes), `${formatBytes(this.bytes / seconds)}/s`)
    }
    if (this.phase) parts.push(this.phase)
    // Elapsed time only while nothing else shows that the command is alive.
    if (this.bytes === undefined) parts.push(`${Math.floor(seconds)}s`)
    const line = parts.join('  ')
    const width = (this.stream.columns ?? 80) - 1
    return line.length > width ? `${line.slice(0, width - 1)}…` : line
  }

  private draw(): void {
    this.stream.write(`\r${this.render()}\x1b[K`)
    this.drawn = true
  }
}
