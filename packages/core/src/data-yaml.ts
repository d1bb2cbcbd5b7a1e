import { createRequire } from 'node:module'

/** Alias expansions a data file may make: enough for shared blocks, too few for a "billion laughs". */
export const MAX_YAML_ALIASES = 100

export interface DataYamlProblem {
  /** INVALID_YAML (malformed), YAML_TAG (a tag other than YAML's core types), YAML_ALIASES (too many expansions). */
  code: 'INVALID_YAML' | 'YAML_TAG' | 'YAML_ALIASES'
  /** yaml's first line, without the excerpt of the file it appends (which may hold a secret). */
  message: string
  line?: number
  column?: number
}

interface YamlProblem {
  code: string
  message: string
  linePos?: Array<{ line: number; col: number }>
}

/**
 * Reads YAML that is data (configs, specs, schemas, metadata files): YAML 1.2's core types
 * only, so an application tag (`!foo`, `!!js/function`) or a YAML 1.1 extra (`!!binary`,
 * `!!set`) is a problem rather than an object or a silent string; unique keys; a cap on alias
 * expansions. Every problem is returned, none thrown: each caller reports them its own way.
 */
export function parseDataYaml(text: string, maxAliases = MAX_YAML_ALIASES): { value?: unknown; problems: DataYamlProblem[] } {
  const doc = loadYaml().parseDocument(text, { schema: 'core', customTags: [], resolveKnownTags: false, uniqueKeys: true })
  const problems: DataYamlProblem[] = []
  for (const e of doc.errors as YamlProblem[]) problems.push(problemOf('INVALID_YAML', e))
  for (const w of doc.warnings as YamlProblem[]) if (w.code === 'TAG_RESOLVE_FAILED') problems.push(problemOf('YAML_TAG', w))
  if (problems.length > 0) return { problems }
  try {
    return { value: doc.toJS({ maxAliasCount: maxAliases }), problems }
  } catch (cause) {
    return { problems: [{ code: 'YAML_ALIASES', message: `too many alias expansions (at most ${maxAliases}): ${(cause as Error).message}` }] }
  }
}

/** `at line L, column C` of a problem, or nothing. */
export function yamlPosition(problem: DataYamlProblem): string {
  return problem.line === undefined ? '' : ` at line ${problem.line}, column ${problem.column}`
}

function problemOf(code: DataYamlProblem['code'], problem: YamlProblem): DataYamlProblem {
  const pos = problem.linePos?.[0]
  const message = (problem.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
  return pos === undefined ? { code, message } : { code, message, line: pos.line, column: pos.col }
}

// Loaded on first use: most runs of the CLI read no YAML, and yaml costs a noticeable part of
// its start-up.
let yamlModule: typeof import('yaml') | undefined
function loadYaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml')
  return yamlModule
}
