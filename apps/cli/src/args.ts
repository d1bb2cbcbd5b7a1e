import { parseArgs } from 'node:util'
import { type CommandSpec, COMMANDS, GLOBAL_OPTIONS, GROUPS, type OptionSpec } from './command-specs.js'

// This file is loaded by every invocation, `--help` included: it imports nothing but node:util
// and the command table.

export type OptionValues = Record<string, string | boolean | string[] | undefined>

export interface GlobalOptions {
  json: boolean
  quiet: boolean
  debug: boolean
  as?: string
  config?: string
}

/** A mistake in how the command was called: exit 2 with the command's usage on stderr. */
export class UsageError extends Error {
  /** The usage text to print; the dispatcher fills in the current command's when absent. */
  usage?: string

  constructor(message: string, usage?: string) {
    super(message)
    this.name = 'UsageError'
    this.usage = usage
  }
}

const VALUED_GLOBALS = new Set(
  Object.entries(GLOBAL_OPTIONS).flatMap(([name, o]) => (o.type === 'string' ? [`--${name}`, ...(o.short ? [`-${o.short}`] : [])] : [])),
)

export type Invocation =
  | { kind: 'general-help'; toStdout: boolean }
  | { kind: 'version' }
  | { kind: 'group-help'; group: string }
  | { kind: 'help'; command: CommandSpec }
  | { kind: 'run'; command: CommandSpec; values: OptionValues; positionals: string[]; globals: GlobalOptions }

/** Index of the first positional token at or after `from`, skipping global options and their values. */
function nextPositional(argv: string[], from: number): number {
  for (let i = from; i < argv.length; i++) {
    const token = argv[i]!
    if (token === '--') return -1
    if (token.startsWith('-') && token !== '-') {
      if (VALUED_GLOBALS.has(token)) i++
      continue
    }
    return i
  }
  return -1
}

function wantsHelp(argv: string[]): boolean {
  for (const token of argv) {
    if (token === '--') return false
    if (token === '--help' || token === '-h') return true
  }
  return false
}

/** Reads the verb (and sub-verb), then the command's options; throws UsageError on any mistake. */
export function parseInvocation(argv: string[]): Invocation {
  const verbAt = nextPositional(argv, 0)
  if (verbAt === -1) {
    if (wantsHelp(argv)) return { kind: 'general-help', toStdout: true }
    if (argv.includes('--version') || argv.includes('-V')) return { kind: 'version' }
    throw new UsageError(argv.length === 0 ? 'a command is required' : 'a command is required before the options', generalUsage())
  }
  const verb = argv[verbAt]!
  let name = verb
  let taken = [verbAt]
  if (verb in GROUPS) {
    const subAt = nextPositional(argv, verbAt + 1)
    if (subAt === -1) {
      if (wantsHelp(argv)) return { kind: 'group-help', group: verb }
      throw new UsageError(`"${verb}" needs a sub-command`, groupUsage(verb))
    }
    name = `${verb} ${argv[subAt]}`
    taken = [verbAt, subAt]
    if (!COMMANDS.has(name)) throw new UsageError(`unknown command "${name}"`, groupUsage(verb))
  }
  const command = COMMANDS.get(name)
  if (!command) throw new UsageError(`unknown command "${verb}"`, generalUsage())
  const rest = argv.filter((_, i) => !taken.includes(i))
  if (wantsHelp(rest)) return { kind: 'help', command }
  const parsed = parseCommandArgs(command, rest)
  return { kind: 'run', command, ...parsed }
}

function parseCommandArgs(command: CommandSpec, args: string[]) {
  const specs = { ...GLOBAL_OPTIONS, ...command.options }
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {}
  for (const [name, o] of Object.entries(specs)) {
    options[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) }
  }
  let parsed: { values: OptionValues; positionals: string[] }
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true }) as typeof parsed
  } catch (error) {
    // parseArgs reports unknown options and missing values as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(parseArgsMessage(error as Error), commandUsage(command))
    }
    throw error
  }
  const [min, max] = command.positionals
  const n = parsed.positionals.length
  if (n < min) throw new UsageError(`missing argument: ${command.name} expects ${command.args}`, commandUsage(command))
  if (n > max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`, commandUsage(command))
  }
  const v = parsed.values
  const globals: GlobalOptions = {
    json: v.json === true,
    quiet: v.quiet === true,
    debug: v.debug === true,
    as: typeof v.as === 'string' ? v.as : undefined,
    config: typeof v.config === 'string' ? v.config : undefined,
  }
  return { values: v, positionals: parsed.positionals, globals }
}

// Node's own message carries advice about `--` that only confuses here; keep its first sentence.
function parseArgsMessage(error: Error): string {
  const first = error.message.split(/\. (?=To specify)/)[0] ?? error.message
  return first.replace(/^Option '(-\w), (--[\w-]+)/, "Option '$2").replace(/\.$/, '')
}

/** Helpers that read one option with the right type; parseArgs already checked the types. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function listOption(values: OptionValues, name: string): string[] {
  const v = values[name]
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : []
}

export function flagOption(values: OptionValues, name: string): boolean {
  return values[name] === true
}

/** A whole number option within bounds, or a UsageError naming the option. */
export function integerOption(values: OptionValues, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = stringOption(values, name)
  if (raw === undefined) return undefined
  const n = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`
    throw new UsageError(`--${name} must be ${range}, got ${JSON.stringify(raw)}`)
  }
  return n
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const left = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` <${o.value}>` : ''}`
    return [`  ${flag}`, o.description + (o.multiple ? ' …' : '')] as const
  })
  const width = Math.min(34, Math.max(...left.map(([l]) => l.length)) + 2)
  return left.map(([l, d]) => (l.length >= width ? `${l}\n${' '.repeat(width)}${d}` : l.padEnd(width) + d))
}

export function commandUsage(command: CommandSpec): string {
  const opts = Object.keys(command.options).length > 0 ? ' [options]' : ''
  const lines = [`Usage: assets ${command.name}${command.args ? ` ${command.args}` : ''}${opts}`, '', `${capitalise(command.summary)}.`]
  if (command.details) lines.push('', command.details)
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options))
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS))
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`))
  return `${lines.join('\n')}\n`
}

export function groupUsage(group: string): string {
  const subs = [...COMMANDS.values()].filter((c) => c.name.startsWith(`${group} `))
  const width = Math.max(...subs.map((c) => c.name.length)) + 4
  const lines = [
    `Usage: assets ${group} <${subs.map((c) => c.name.slice(group.length + 1)).join('|')}> [options]`,
    '',
    `${capitalise(GROUPS[group] ?? '')}.`,
    '',
    'Commands:',
    ...subs.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run "assets ${group} <command> --help" for its options.`,
  ]
  return `${lines.join('\n')}\n`
}

export function generalUsage(): string {
  const rows: Array<[string, string]> = []
  const seenGroups = new Set<string>()
  for (const c of COMMANDS.values()) {
    const group = c.name.split(' ')[0]!
    if (group in GROUPS) {
      if (seenGroups.has(group)) continue
      seenGroups.add(group)
      const subs = [...COMMANDS.values()].filter((s) => s.name.startsWith(`${group} `)).map((s) => s.name.slice(group.length + 1))
      rows.push([`${group} ${subs.join('|')}`, GROUPS[group]!])
    } else {
      rows.push([c.name, c.summary])
    }
  }
  const width = Math.max(...rows.map(([n]) => n.length)) + 3
  const lines = [
    'Usage: assets <command> [options]',
    '',
    'Store, version, cache, find and stream the assets of benchmarking: datasets, models, configs, run outputs.',
    '',
    'Commands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(width)}${s}`),
    '',
    'Global options:',
    ...optionLines({ ...GLOBAL_OPTIONS, version: { type: 'boolean', short: 'V', description: 'print the version of the assets command' } }),
    '',
    'Run "assets <command> --help" for its options. Exit codes: 0 ok, 1 failed, 2 usage, 130 interrupted (143 by SIGTERM).',
  ]
  return `${lines.join('\n')}\n`
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
