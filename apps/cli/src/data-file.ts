import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { InvalidInputError, parseDataYaml, yamlPosition } from '@assets/core'

const MAX_DATA_FILE_BYTES = 10 * 1024 * 1024

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
  // Core's reader for data: YAML's core types only, unique keys, few aliases.
  const { value, problems } = parseDataYaml(text)
  const first = problems[0]
  if (first) throw new InvalidInputError(`--${option}: ${path} is not valid YAML${yamlPosition(first)}: ${first.message}`)
  return value
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
