import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { MAX_YAML_ALIASES, parseDataYaml, yamlPosition } from '../data-yaml.js'
import { InvalidInputError, ValidationError, type ValidationIssue } from '../errors/index.js'
import { parseSpec } from './parse-spec.js'
import type { SpecKind, SpecTypes } from './spec-kinds.js'

/** Spec files are small; a larger one is refused before it is read. */
export const MAX_SPEC_FILE_BYTES = 1024 * 1024

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

// A spec is data: only YAML's core types (see parseDataYaml).
function readYaml(text: string, source: string): unknown {
  const { value, problems } = parseDataYaml(text, MAX_YAML_ALIASES)
  if (problems.length === 0) return value
  const issues: ValidationIssue[] = problems.map((p) => ({
    code: p.code,
    path: '',
    message:
      p.code === 'YAML_TAG'
        ? `tag not allowed${yamlPosition(p)}: ${p.message} (spec files hold plain data)`
        : p.code === 'INVALID_YAML'
          ? `not valid YAML${yamlPosition(p)}: ${p.message}`
          : p.message,
  }))
  throw unreadable(source, issues)
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

