import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { InvalidInputError, ValidationError, type ValidationIssue } from '@assets/core'
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type YAMLMap } from 'yaml'

export type ConfigFormat = 'yaml' | 'json'

export interface ParseLimits {
  maxBytes: number
  maxAliasCount: number
}

// The tags of the YAML 1.2 core schema: plain data. Anything else (`!!binary`, `!!js/function`,
// `!custom`) would make the parser build something other than JSON data, so it is refused.
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`))

/** The format a file name says, or undefined when its extension says nothing. */
export function formatOf(path: string): ConfigFormat | undefined {
  const ext = extname(path).toLowerCase()
  if (ext === '.yaml' || ext === '.yml') return 'yaml'
  if (ext === '.json') return 'json'
  return undefined
}

function issue(code: string, message: string, path = ''): ValidationIssue {
  return { code, path, message }
}

/** Parses YAML as plain data: core schema only, unique keys, one document, bounded aliases. */
export function parseYaml(text: string, maxAliasCount: number): unknown {
  // yaml's own uniqueKeys check compares each key with every earlier one (quadratic: a config of
  // 60 000 keys took half a minute); duplicateKeys makes the same check with a set.
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { schema: 'core', customTags: [], uniqueKeys: false, strict: true, version: '1.2', prettyErrors: true, lineCounter })
  const issues: ValidationIssue[] = doc.errors.map((e) => issue('YAML_SYNTAX', firstLine(e.message)))
  visit(doc, (key, node, path) => {
    if (isMap(node)) issues.push(...duplicateKeys(node, lineCounter))
    if (isNode(node) && node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
      issues.push(issue('YAML_TAG_REFUSED', `tag ${node.tag} is not allowed: configs are plain data (strings, numbers, booleans, null, maps, lists)`, pathOf(key, path)))
    }
  })
  for (const w of doc.warnings) {
    if (w.code !== 'TAG_RESOLVE_FAILED') issues.push(issue('YAML_SYNTAX', firstLine(w.message)))
  }
  if (issues.length > 0) throw new ValidationError('the YAML config cannot be read safely', dedupe(issues))
  try {
    return doc.toJS({ maxAliasCount })
  } catch (cause) {
    if (cause instanceof ReferenceError && /alias/i.test(cause.message)) {
      throw new ValidationError(
        'the YAML config cannot be read safely',
        [issue('YAML_ALIAS_LIMIT', `aliases expand beyond the limit of ${maxAliasCount} (a resource exhaustion attack, or a config that should not use anchors this heavily)`)],
        { cause },
      )
    }
    throw new ValidationError('the YAML config cannot be read', [issue('YAML_SYNTAX', cause instanceof Error ? cause.message : String(cause))], { cause })
  }
}

// yaml's rule: two scalar keys with the same value are the same key; other keys never are.
function duplicateKeys(map: YAMLMap, lines: LineCounter): ValidationIssue[] {
  const seen = new Set<unknown>()
  const found: ValidationIssue[] = []
  for (const pair of map.items) {
    if (!isScalar(pair.key) || Number.isNaN(pair.key.value)) continue
    if (!seen.has(pair.key.value)) seen.add(pair.key.value)
    else {
      const at = pair.key.range ? lines.linePos(pair.key.range[0]) : undefined
      found.push(issue('YAML_DUPLICATE_KEY', `Map keys must be unique${at ? ` at line ${at.line}, column ${at.col}` : ''}`))
    }
  }
  return found
}

/** `a/b/0`-style location of a visited node, from its ancestors. */
function pathOf(key: number | 'key' | 'value' | null, path: readonly unknown[]): string {
  const segments: string[] = []
  for (let i = 0; i < path.length; i++) {
    const step = path[i]
    if (isPair(step)) segments.push(String(isScalar(step.key) ? step.key.value : step.key))
    else if (isSeq(step)) {
      const next = path[i + 1]
      const index = next === undefined ? (typeof key === 'number' ? key : -1) : step.items.indexOf(next as never)
      if (index >= 0) segments.push(String(index))
    }
  }
  return segments.join('/')
}

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>()
  return issues.filter((i) => {
    const id = `${i.code}|${i.path}|${i.message}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

const firstLine = (message: string) => message.split('\n')[0] ?? message

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new ValidationError('the JSON config cannot be read', [issue('JSON_SYNTAX', cause instanceof Error ? cause.message : String(cause))], { cause })
  }
}

/** Reads and parses a config file, refusing it before reading when it is too large. */
export async function readConfigFile(path: string, format: ConfigFormat, limits: ParseLimits): Promise<{ value: unknown; bytes: Buffer }> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new InvalidInputError(`config ${path} does not exist or cannot be read`, { cause })
  })
  if (!info.isFile()) throw new InvalidInputError(`config ${path} is not a file: a config is one YAML or JSON file`)
  if (info.size > limits.maxBytes) {
    throw new ValidationError(`config ${path} is too large`, [issue('CONFIG_TOO_LARGE', `${info.size} bytes, more than the limit of ${limits.maxBytes}`)])
  }
  const bytes = await readFile(path)
  // Re-checked on the bytes read: the file may have grown since stat.
  if (bytes.length > limits.maxBytes) {
    throw new ValidationError(`config ${path} is too large`, [issue('CONFIG_TOO_LARGE', `${bytes.length} bytes, more than the limit of ${limits.maxBytes}`)])
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (cause) {
    throw new ValidationError(`config ${path} cannot be read`, [issue('CONFIG_ENCODING', 'the file is not valid UTF-8 text')], { cause })
  }
  const value = format === 'yaml' ? parseYaml(text, limits.maxAliasCount) : parseJson(text)
  return { value, bytes }
}
