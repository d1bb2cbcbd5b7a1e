import type { Writable } from 'node:stream'
// Only the redaction module, which imports nothing: reporting an error must not load core.
import { redactSecrets, redactUrl } from '@assets/core/redact'

export interface OutputStreams {
  stdout: Writable
  stderr: Writable & { isTTY?: boolean; columns?: number }
}

/**
 * Where results go. With `--json` a command prints exactly one JSON document on stdout and
 * nothing else there; without it, text for people. Notes go to stderr and `--quiet` or
 * `--json` silences them, so stdout stays parseable and pipeable either way.
 */
export class Output {
  readonly json: boolean
  readonly quiet: boolean
  readonly streams: OutputStreams

  constructor(options: { json: boolean; quiet: boolean }, streams: OutputStreams) {
    this.json = options.json
    this.quiet = options.quiet
    this.streams = streams
  }

  /** The command's result: `doc` as JSON, or `human()` as text. */
  result(doc: unknown, human: () => string): void {
    if (this.json) this.streams.stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
    else {
      // Descriptions, annotations and metadata are anyone's text: shown, never obeyed by the terminal.
      const text = escapeControl(human())
      if (text !== '') this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    }
  }

  /** Something a person may want to know that is not the result (next page, nothing found). */
  note(text: string): void {
    if (!this.json && !this.quiet) this.streams.stderr.write(`${escapeControl(text)}\n`)
  }
}

// C0 controls but tab and line feed, DEL, C1 controls (0x9b starts an escape sequence on some
// terminals) and the bidirectional overrides that make a terminal show text in another order.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g
// A table cell is one line.
const CELL_BREAK = /[\t\n]/g

/**
 * `text` with every character that a terminal would act on rather than show written as an
 * escape (`\x1b`, `\u{202e}`); line feeds and tabs stay. JSON output needs none of this.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeChar)
}

function escapeChar(c: string): string {
  const code = c.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
}

/**
 * Columns padded to their widest cell; the last column is not padded. A cell stays on its line:
 * a description holding a line feed must not draw a row of its own.
 */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows.map((r) => r.map((cell) => cell.replace(CELL_BREAK, escapeChar)))]
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return all.map(line).join('\n')
}

/** `key  value` lines, keys aligned. */
export function fields(pairs: Array<[string, string | undefined]>): string {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '')
  const width = Math.max(...shown.map(([k]) => k.length)) + 2
  return shown.map(([k, v]) => k.padEnd(width) + v.replace(/\n/g, `\n${' '.repeat(width)}`)).join('\n')
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`
}

/** ISO time to the second, which is what a person reads; JSON keeps the full value. */
export function formatTime(iso: string | Date | undefined): string {
  if (iso === undefined) return ''
  const d = typeof iso === 'string' ? new Date(iso) : iso
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString().slice(0, 19)}Z`
}

/** `sha256:1a2b3c4d5e6f` — enough to tell versions apart in a table. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':')
  return hex === undefined ? digest.slice(0, 19) : `${algorithm}:${hex.slice(0, 12)}`
}

export function compactJson(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

// The marker @assets/core puts on every AssetError; read here so that reporting an error
// never needs core to be loaded (it may be the thing that failed to load).
const ASSET_ERROR = Symbol.for('@assets/core/AssetError')

export interface ErrorReport {
  code: string
  message: string
  [field: string]: unknown
}

/** The code, message and structured fields (issues, problems) of any error. */
export function describeError(error: unknown): ErrorReport {
  if (typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[ASSET_ERROR] === true) {
    const e = error as { code: string; message: string; toJSON?: () => Record<string, unknown> }
    const { name: _name, code: _code, message: _message, ...extra } = typeof e.toJSON === 'function' ? e.toJSON() : {}
    return { code: e.code, message: e.message, ...extra }
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) }
}

/** The stack of an error and of each cause, for `--debug`. */
export function errorStack(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current))
    current = current instanceof Error ? current.cause : undefined
  }
  return parts.join('\ncaused by: ')
}

/** `error CODE: message` (plus the stack with --debug), or one JSON object with --json. */
export function reportError(stderr: Writable, error: unknown, options: { json: boolean; debug: boolean }): void {
  // A message may quote a URL or a value from a backend: its secrets are hidden here, whatever
  // built it (DESIGN §5.6).
  const report = redactSecrets(describeError(error))
  if (options.json) {
    const doc = options.debug ? { ...report, stack: redactUrl(errorStack(error)) } : report
    stderr.write(`${JSON.stringify({ error: doc })}\n`)
    return
  }
  stderr.write(`error ${report.code}: ${escapeControl(report.message)}\n`)
  if (options.debug) stderr.write(`${escapeControl(redactUrl(errorStack(error)))}\n`)
}
