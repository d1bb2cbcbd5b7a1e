import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { commandUsage, generalUsage, groupUsage, parseInvocation, UsageError } from './args.js'
import { type CommandSpec, COMMANDS, GROUPS } from './command-specs.js'
import { type CommandContext, type CommandRun, Interrupt } from './context.js'
import { Output, type OutputStreams, reportError } from './output.js'

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2
export const EXIT_INTERRUPTED = 130
/** 128 + SIGTERM's number, as a shell reports a process that SIGTERM ended. */
export const EXIT_TERMINATED = 143

type Loader = () => Promise<CommandRun>

// Each command's module is imported only when it runs, so `assets --help` loads none of them
// and none of @assets/core.
const LOADERS: Record<string, Loader> = {
  put: async () => (await import('./commands/put.js')).put,
  get: async () => (await import('./commands/get.js')).get,
  cat: async () => (await import('./commands/cat.js')).cat,
  info: async () => (await import('./commands/info.js')).info,
  versions: async () => (await import('./commands/versions.js')).versions,
  find: async () => (await import('./commands/find.js')).find,
  ls: async () => (await import('./commands/find.js')).ls,
  tag: async () => (await import('./commands/tag.js')).tag,
  annotate: async () => (await import('./commands/annotate.js')).annotate,
  annotations: async () => (await import('./commands/annotate.js')).annotations,
  'acl show': async () => (await import('./commands/acl.js')).aclShow,
  'acl grant': async () => (await import('./commands/acl.js')).aclGrant,
  'acl revoke': async () => (await import('./commands/acl.js')).aclRevoke,
  lineage: async () => (await import('./commands/lineage.js')).lineage,
  rm: async () => (await import('./commands/rm.js')).rm,
  verify: async () => (await import('./commands/verify.js')).verify,
  gc: async () => (await import('./commands/gc.js')).gc,
  serve: async () => (await import('./commands/serve.js')).serve,
  'cache ls': async () => (await import('./commands/cache.js')).cacheLs,
  'cache prune': async () => (await import('./commands/cache.js')).cachePrune,
  'cache clear': async () => (await import('./commands/cache.js')).cacheClear,
  'cache verify': async () => (await import('./commands/cache.js')).cacheVerify,
  'config show': async () => (await import('./commands/config.js')).configShow,
  'config check': async () => (await import('./commands/config.js')).configCheck,
  plugins: async () => (await import('./commands/plugins.js')).plugins,
  trust: async () => (await import('./commands/trust.js')).trust,
  audit: async () => (await import('./commands/audit.js')).audit,
  'check-compat': async () => (await import('./commands/check-compat.js')).checkCompat,
  validate: async () => (await import('./commands/validate.js')).validate,
  'import cz-benchmarks': async () => (await import('./commands/import-cz-benchmarks.js')).importCzBenchmarks,
  'token create': async () => (await import('./commands/token.js')).tokenCreate,
  'token ls': async () => (await import('./commands/token.js')).tokenLs,
  'token revoke': async () => (await import('./commands/token.js')).tokenRevoke,
}

export interface RunOptions {
  streams?: OutputStreams
  /** Called when Ctrl-C should end the process at once. */
  exit?: (code: number) => void
}

/** Runs one invocation of `assets` and returns its exit code. */
export async function run(argv: string[], options: RunOptions = {}): Promise<number> {
  const streams = options.streams ?? { stdout: process.stdout, stderr: process.stderr }
  // Read before parsing, so that even a usage error comes out as JSON when asked for.
  const jsonWanted = argv.includes('--json')
  let invocation: ReturnType<typeof parseInvocation>
  try {
    invocation = parseInvocation(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    return usageError(streams, error, error.usage ?? generalUsage(), jsonWanted)
  }
  switch (invocation.kind) {
    case 'general-help':
      streams.stdout.write(generalUsage())
      return EXIT_OK
    case 'version':
      streams.stdout.write(`${cliVersion()}\n`)
      return EXIT_OK
    case 'group-help':
      streams.stdout.write(groupUsage(invocation.group))
      return EXIT_OK
    case 'help':
      streams.stdout.write(commandUsage(invocation.command))
      return EXIT_OK
  }
  const { command, globals } = invocation
  if (command.name === 'help') return help(streams, invocation.positionals)
  // A URL is passed on as written (AssetConfig.loadAsync fetches it); a file is made absolute.
  // The test is core's isConfigUrl, repeated so that startup does not import core.
  if (globals.config !== undefined) process.env.CONFIG_PATH = /^[a-z][a-z0-9+.-]*:\/\//i.test(globals.config) ? globals.config : resolve(globals.config)

  const out = new Output(globals, streams)
  const interrupt = new Interrupt()
  const ctx: CommandContext = { ...invocation, out, interrupt }
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const exitCodeOf = (signal: 'SIGINT' | 'SIGTERM') => (signal === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED)
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (!interrupt.onSignal(signal)) exit(exitCodeOf(signal))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const runCommand = await LOADERS[command.name]!()
    return (await runCommand(ctx)) ?? EXIT_OK
  } catch (error) {
    if (interrupt.interrupted) {
      const by = interrupt.by ?? 'SIGINT'
      if (!globals.json) streams.stderr.write('interrupted: nothing was left half-done; run the command again to finish it\n')
      else streams.stderr.write(`${JSON.stringify({ error: { code: 'INTERRUPTED', message: `interrupted by ${by}` } })}\n`)
      return exitCodeOf(by)
    }
    if (error instanceof UsageError) return usageError(streams, error, error.usage ?? commandUsage(command), globals.json)
    reportError(streams.stderr, error, globals)
    return EXIT_FAILED
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function usageError(streams: OutputStreams, error: UsageError, usage: string, json: boolean): number {
  if (json) streams.stderr.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message, usage } })}\n`)
  else streams.stderr.write(`error USAGE: ${error.message}\n\n${usage}`)
  return EXIT_USAGE
}

function help(streams: OutputStreams, words: string[]): number {
  const name = words.join(' ')
  if (name === '') {
    streams.stdout.write(generalUsage())
    return EXIT_OK
  }
  const command: CommandSpec | undefined = COMMANDS.get(name)
  if (command) streams.stdout.write(commandUsage(command))
  else if (name in GROUPS) streams.stdout.write(groupUsage(name))
  else return usageError(streams, new UsageError(`unknown command "${name}"`), generalUsage(), false)
  return EXIT_OK
}

function cliVersion(): string {
  // dist/cli.js → ../package.json; read lazily, only for --version.
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
  return (JSON.parse(text) as { version: string }).version
}
