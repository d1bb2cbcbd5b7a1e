import { readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { extname } from 'node:path'
import { InvalidInputError, ValidationError, type ValidationIssue } from '../errors/index.js'
import { parseSpec } from './parse-spec.js'
import type { SpecKind, SpecTypes } from './spec-kinds.js'

/** Spec files are small; a larger one is refused before it is read. */
export const MAX_SPEC_FILE_BYTES = 1024 * 1024
/** Alias expansions a YAML spec may make: enough for shared blocks, too few for a "billion laughs". */
export const MAX_YAML_ALIASES = 100

export interface SpecTextOptions {
  /** How to read the text; by default JSON when it starts with `{` or `[`, else YAML. */
  format?: 'json' | 'yaml'
  /** The file it came from, for messages. */
  source?: string
}

/**
 * Reads a spec file: JSON for `.json`, YAML for `.yaml`/`.yml`, else by its first character.
 * A file that cannot be read throws InvalidInputError; anything wrong with its content, a
 * ValidationError listing every problem.
 */
export async function loadSpecFile<K extends SpecKind>(kind: K, path: string): Promise<SpecTypes[K]> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new InvalidInputError(`cannot read ${kind} spec ${path}: ${errno(cause)}`, { cause })
  })
  if (!info.isFile()) throw new InvalidInputError(`cannot read ${kind} spec ${path}: not a file`)
  if (info.size > MAX_SPEC_FILE_BYTES) throw tooLarge(kind, path, info.size)
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw new InvalidInputError(`cannot read ${kind} spec ${path}: ${errno(cause)}`, { cause })
  })
  const ext = extname(path).toLowerCase()
  const format = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : undefined
  return parseSpecText(kind, text, { format, source: path })
}

/** Parses JSON or YAML text (see loadSpecFile) and checks it with parseSpec. */
export function parseSpecText<K extends SpecKind>(kind: K, text: string, options: SpecTextOptions = {}): SpecTypes[K] {
  const source = options.source ?? `${kind} spec`
  const size = Buffer.byteLength(text, 'utf8')
  if (size > MAX_SPEC_FILE_BYTES) throw tooLarge(kind, source, size)
  const format = options.format ?? (/^\s*[{[]/.test(text) ? 'json' : 'yaml')
  const value = format === 'json' ? readJson(text, source) : readYaml(text, source)
  return parseSpec(kind, value, { source: options.source })
}

function readJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw unreadable(source, [{ code: 'INVALID_JSON', path: '', message: `not valid JSON: ${(cause as Error).message}` }], cause)
  }
}

interface YamlProblem {
  code: string
  message: string
  linePos?: Array<{ line: number; col: number }>
}

// A spec is data: only YAML's core types. An application tag (`!foo`, `!!js/function`) or a
// YAML 1.1 extra (`!!binary`, `!!set`) is refused rather than silently read as a string.
function readYaml(text: string, source: string): unknown {
  const doc = loadYaml().parseDocument(text, { schema: 'core', customTags: [], resolveKnownTags: false, uniqueKeys: true })
  const issues: ValidationIssue[] = []
  for (const e of doc.errors as YamlProblem[]) issues.push({ code: 'INVALID_YAML', path: '', message: `not valid YAML${at(e)}: ${firstLine(e)}` })
  for (const w of doc.warnings as YamlProblem[]) {
    if (w.code !== 'TAG_RESOLVE_FAILED') continue
    issues.push({ code: 'YAML_TAG', path: '', message: `tag not allowed${at(w)}: ${firstLine(w)} (spec files hold plain data)` })
  }
  if (issues.length > 0) throw unreadable(source, issues)
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES })
  } catch (cause) {
    const message = `too many YAML alias expansions (at most ${MAX_YAML_ALIASES}): ${(cause as Error).message}`
    throw unreadable(source, [{ code: 'YAML_ALIASES', path: '', message }], cause)
  }
}

function at(problem: YamlProblem): string {
  const pos = problem.linePos?.[0]
  return pos === undefined ? '' : ` at line ${pos.line}, column ${pos.col}`
}

// yaml's message ends with " at line L, column C:" and an excerpt of the file; the position is
// reported separately and the excerpt is left out.
function firstLine(problem: YamlProblem): string {
  return (problem.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
}

function unreadable(source: string, issues: ValidationIssue[], cause?: unknown): ValidationError {
  return new ValidationError(`cannot parse ${source}`, issues, cause === undefined ? {} : { cause })
}

function tooLarge(kind: string, source: string, size: number): ValidationError {
  const message = `${size} bytes; ${kind} spec files may be at most ${MAX_SPEC_FILE_BYTES} bytes`
  return new ValidationError(`${source} is too large`, [{ code: 'TOO_LARGE', path: '', message }])
}

function errno(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'unreadable'
}

// Loaded on first use: most runs of the CLI read no spec, and yaml costs a noticeable part of
// its start-up.
let yamlModule: typeof import('yaml') | undefined
function loadYaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml')
  return yamlModule
}
