import { readFile, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { extname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { InvalidInputError } from '@assets/core'

const MAX_DATA_FILE_BYTES = 10 * 1024 * 1024

interface YamlDocument {
  errors: Array<{ message: string; linePos?: Array<{ line: number; col: number }> }>
  toJS(options: { maxAliasCount: number }): unknown
}

interface YamlModule {
  parseDocument(text: string, options: { customTags: never[]; uniqueKeys: boolean }): YamlDocument
}

/**
 * The `yaml` package that @assets/core depends on. The CLI adds no dependency of its own for
 * it, so it is resolved from core's location; core does not export a YAML reader (yet).
 */
async function loadYaml(): Promise<YamlModule> {
  const coreEntry = fileURLToPath(import.meta.resolve('@assets/core'))
  const file = createRequire(coreEntry).resolve('yaml')
  const module = (await import(pathToFileURL(file).href)) as Partial<YamlModule> & { default?: YamlModule }
  return typeof module.parseDocument === 'function' ? (module as YamlModule) : module.default!
}

/** A YAML or JSON file given on the command line (`--meta-file`, `--spec` …), parsed. */
export async function readDataFile(path: string, option: string): Promise<unknown> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new InvalidInputError(`--${option}: cannot read ${path} (${errnoOf(cause)})`, { cause })
  })
  if (!info.isFile()) throw new InvalidInputError(`--${option}: ${path} is not a file`)
  if (info.size > MAX_DATA_FILE_BYTES) throw new InvalidInputError(`--${option}: ${path} is larger than 10 MiB`)
  const text = await readFile(path, 'utf8')
  if (extname(path).toLowerCase() === '.json') {
    try {
      return JSON.parse(text) as unknown
    } catch (cause) {
      throw new InvalidInputError(`--${option}: ${path} is not valid JSON: ${(cause as Error).message}`, { cause })
    }
  }
  const yaml = await loadYaml()
  // As core does for config files: no custom tags, few aliases, so a hostile file stays data.
  const doc = yaml.parseDocument(text, { customTags: [], uniqueKeys: true })
  const first = doc.errors[0]
  if (first) {
    const at = first.linePos?.[0]
    const where = at ? ` at line ${at.line}, column ${at.col}` : ''
    throw new InvalidInputError(`--${option}: ${path} is not valid YAML${where}: ${first.message.split('\n')[0]}`)
  }
  try {
    return doc.toJS({ maxAliasCount: 100 })
  } catch (cause) {
    throw new InvalidInputError(`--${option}: ${path}: ${(cause as Error).message}`, { cause })
  }
}

/** A data file whose top level must be a mapping (metadata, provenance). */
export async function readDataObject(path: string, option: string): Promise<Record<string, unknown>> {
  const value = await readDataFile(path, option)
  if (value === null || value === undefined) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`--${option}: ${path} must hold a mapping of fields at the top level`)
  }
  return value as Record<string, unknown>
}

function errnoOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'unreadable'
}
