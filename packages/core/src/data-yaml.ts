import { createRequire } from 'node:module'
import type { LineCounter, Node as YamlNode } from 'yaml'

/** Alias expansions a data file may make: enough for shared blocks, too few for a "billion laughs". */
export const MAX_YAML_ALIASES = 100

/**
 * Values (scalars, maps, lists) a data file may hold: four times a 250 000-field metadata file,
 * and few enough that turning them into objects stays well under a second.
 */
export const MAX_YAML_NODES = 1_000_000

/**
 * How deep maps and lists may nest. yaml's composer recurses (it overflows the stack at about a
 * thousand levels) and its parser slows with the nesting of flow collections; no data nests this deep.
 */
export const MAX_YAML_DEPTH = 256

export interface DataYamlProblem {
  /**
   * INVALID_YAML (malformed, duplicate keys), YAML_TAG (a tag other than YAML's core types),
   * YAML_ALIASES (too many expansions), YAML_LIMITS (too many values or too deep a nesting).
   */
  code: 'INVALID_YAML' | 'YAML_TAG' | 'YAML_ALIASES' | 'YAML_LIMITS'
  /** yaml's first line, without the excerpt of the file it appends (which may hold a secret). */
  message: string
  line?: number
  column?: number
}

export interface DataYamlLimits {
  /** Alias expansions; default MAX_YAML_ALIASES. */
  maxAliases?: number
  /** Values in the document; default MAX_YAML_NODES. */
  maxNodes?: number
}

interface YamlProblem {
  code: string
  message: string
  linePos?: Array<{ line: number; col: number }>
}

/**
 * Reads YAML that is data (configs, specs, schemas, metadata files): YAML 1.2's core types
 * only, so an application tag (`!foo`, `!!js/function`) or a YAML 1.1 extra (`!!binary`,
 * `!!set`) is a problem rather than an object or a silent string; unique keys; caps on alias
 * expansions, values and nesting, so that the time taken grows with the text's length and no
 * faster. Every problem is returned, none thrown: each caller reports them its own way.
 */
export function parseDataYaml(
  text: string,
  limits: number | DataYamlLimits = {},
): { value?: unknown; problems: DataYamlProblem[] } {
  const { maxAliases = MAX_YAML_ALIASES, maxNodes = MAX_YAML_NODES } = typeof limits === 'number' ? { maxAliases: limits } : limits
  // Refused before parsing: one line of a few thousand `[` makes the composer overflow, and a
  // file of such lines exhausts memory. Brackets inside strings count too, which only matters
  // past this many unclosed.
  if (mostOpenBrackets(text) > MAX_YAML_DEPTH) return { problems: [tooDeep()] }
  const yaml = loadYaml()
  const lineCounter = new yaml.LineCounter()
  // yaml's own `uniqueKeys` compares each key with every earlier one of its map: O(n²), minutes
  // for a file of a few hundred thousand keys. structureProblems makes the same check with a Set.
  const doc = yaml.parseDocument(text, { schema: 'core', customTags: [], resolveKnownTags: false, uniqueKeys: false, lineCounter })
  const problems: DataYamlProblem[] = []
  const overflowed = (doc.errors as YamlProblem[]).some((e) => e.message.startsWith(STACK_OVERFLOW))
  if (overflowed) return { problems: [tooDeep()] }
  for (const e of doc.errors as YamlProblem[]) problems.push(problemOf('INVALID_YAML', e))
  for (const w of doc.warnings as YamlProblem[]) if (w.code === 'TAG_RESOLVE_FAILED') problems.push(problemOf('YAML_TAG', w))
  if (problems.length === 0) problems.push(...structureProblems(yaml, doc.contents, lineCounter, maxNodes))
  if (problems.length > 0) return { problems }
  try {
    return { value: doc.toJS({ maxAliasCount: maxAliases }), problems }
  } catch (cause) {
    return { problems: [{ code: 'YAML_ALIASES', message: `too many alias expansions (at most ${maxAliases}): ${(cause as Error).message}` }] }
  }
}

const STACK_OVERFLOW = 'Maximum call stack size exceeded'

function tooDeep(): DataYamlProblem {
  return { code: 'YAML_LIMITS', message: `maps and lists nest more than ${MAX_YAML_DEPTH} levels deep` }
}

function mostOpenBrackets(text: string): number {
  let open = 0
  let most = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x5b || c === 0x7b) {
      open++
      if (open > most) most = open
    } else if ((c === 0x5d || c === 0x7d) && open > 0) open--
  }
  return most
}

/**
 * Duplicate keys (yaml's rule: two scalar keys with the same value; other keys never match),
 * too many values, too deep a nesting. One pass with an explicit stack: linear in the values and
 * free of any recursion limit. Aliases are not followed, so each node is seen once.
 */
function structureProblems(yaml: typeof import('yaml'), root: YamlNode | null, lines: LineCounter, maxNodes: number): DataYamlProblem[] {
  const problems: DataYamlProblem[] = []
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 1 }]
  let nodes = 0
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number }
    if (node === null || node === undefined) continue
    if (++nodes > maxNodes) return [{ code: 'YAML_LIMITS', message: `more than ${maxNodes} values` }]
    if (!yaml.isCollection(node)) continue
    if (depth > MAX_YAML_DEPTH) return [tooDeep()]
    const seen = yaml.isMap(node) ? new Set<unknown>() : undefined
    for (const item of node.items as unknown[]) {
      if (!yaml.isPair(item)) {
        stack.push({ node: item, depth: depth + 1 })
        continue
      }
      const key = item.key
      // NaN never equals itself in yaml's comparison either.
      if (seen && yaml.isScalar(key) && !Number.isNaN(key.value)) {
        if (seen.has(key.value)) problems.push(duplicateKey(key.range?.[0], lines))
        else seen.add(key.value)
      }
      stack.push({ node: key, depth: depth + 1 }, { node: item.value, depth: depth + 1 })
    }
  }
  return problems
}

// The message and position yaml's own check gave.
function duplicateKey(offset: number | undefined, lines: LineCounter): DataYamlProblem {
  const message = 'Map keys must be unique'
  if (offset === undefined) return { code: 'INVALID_YAML', message }
  const { line, col } = lines.linePos(offset)
  return { code: 'INVALID_YAML', message, line, column: col }
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
