import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Actor,
  BaseAssetManager,
  InvalidInputError,
  type ManagerParts,
  type PutOptions,
  type PutResult,
  UnsupportedOperationError,
  ValidationError,
  type ValidationIssue,
} from '@assets/core'
import { type ConfigManagerOptions, configManagerOptionsSchema, DEFAULT_MAX_ALIAS_COUNT, DEFAULT_MAX_CONFIG_BYTES } from './config-options.js'
import { checkAgainstSchema } from './json-schema-check.js'
import { checkOptions } from '@assets/core'
import { type ConfigFormat, formatOf, type ParseLimits, parseJson, parseYaml, readConfigFile } from './parse-config.js'
import { resolveRequires } from './resolve-requires.js'

export interface ConfigPutOptions extends PutOptions {
  /** `yaml` or `json`; by default taken from the file's extension. */
  format?: ConfigFormat
  /**
   * JSON Schema the parsed config must satisfy (every error is reported, with its path);
   * recorded as the version's declarative schema.
   */
  declarativeSchema?: unknown
  /** Other configs this one needs: `{ 'pipelines/base': '^1.2' }`, resolved to exact versions now. */
  requires?: Record<string, string>
}

/**
 * Registers YAML and JSON configs after parsing them safely, checking them against their JSON
 * Schema and resolving the configs they require; a config that fails any check writes nothing.
 */
export class ConfigAssetManager extends BaseAssetManager {
  private readonly limits: ParseLimits

  constructor(parts: ManagerParts, actor: Actor, options: ConfigManagerOptions = {}) {
    super(parts, actor)
    checkOptions(configManagerOptionsSchema, options, 'configs')
    this.limits = { maxBytes: options.maxBytes ?? DEFAULT_MAX_CONFIG_BYTES, maxAliasCount: options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT }
  }

  override as(actor: Actor): ConfigAssetManager {
    return new ConfigAssetManager(this.parts, actor, this.limits)
  }

  override async put(key: string, localPath: string, metadata: Record<string, unknown> = {}, options: ConfigPutOptions = {}): Promise<PutResult> {
    if (options.kind !== undefined && options.kind !== 'config') {
      throw new InvalidInputError(`the config manager registers configs only, not a ${options.kind}`)
    }
    const format = options.format ?? formatOf(localPath)
    if (format !== 'yaml' && format !== 'json') {
      throw new InvalidInputError(`cannot tell whether ${localPath} is YAML or JSON: name it .yaml, .yml or .json, or pass format`)
    }
    const requires = checkRequires(options.requires)
    const { value, bytes } = await readConfigFile(localPath, format, this.limits)
    const issues: ValidationIssue[] = options.declarativeSchema === undefined ? [] : checkAgainstSchema(value, options.declarativeSchema)
    const resolved = await resolveRequires(this.parts.registry, this.actor, key, requires)
    issues.push(...resolved.issues)
    if (issues.length > 0) throw new ValidationError(`config ${key} was not registered`, issues)

    // The bytes that were checked are the bytes stored, even if the file changes meanwhile.
    const dir = await mkdtemp(join(tmpdir(), 'assets-config-'))
    try {
      const copy = join(dir, `config.${format}`)
      await writeFile(copy, bytes)
      const described = { ...metadata, format, ...(Object.keys(requires).length > 0 ? { requires } : {}) }
      const { format: _f, requires: _r, ...putOptions } = options
      return await super.put(key, copy, described, {
        ...putOptions,
        kind: 'config',
        relationships: [...(options.relationships ?? []), ...resolved.relationships],
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** Refused: a config is checked from its bytes, which a reference does not hand over. */
  override async putReference(key: string, uri: string): Promise<PutResult> {
    throw new UnsupportedOperationError(`config ${key} cannot be registered by reference (${uri}): configs are validated from their bytes; put a local copy`)
  }

  /** The parsed content of a config version, read with the same safety limits as a put. */
  async read(key: string, ref = 'latest'): Promise<unknown> {
    const info = await this.getMetadata(key, ref)
    if (info.kind !== 'config') throw new InvalidInputError(`${key}@${info.version} is a ${info.kind}, not a config`)
    const path = await this.get(key, info.version)
    const text = await readFile(path, 'utf8')
    return info.metadata.format === 'json' ? parseJson(text) : parseYaml(text, this.limits.maxAliasCount)
  }
}

function checkRequires(requires: unknown): Record<string, string> {
  if (requires === undefined) return {}
  if (typeof requires !== 'object' || requires === null || Array.isArray(requires)) {
    throw new InvalidInputError('requires must be an object of config key → version range, e.g. {"pipelines/base": "^1.2"}')
  }
  for (const [name, range] of Object.entries(requires)) {
    if (typeof range !== 'string') throw new InvalidInputError(`requires.${name} must be a version range string such as "^1.2"`)
  }
  return requires as Record<string, string>
}
