import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Actor,
  BaseAssetManager,
  InvalidInputError,
  type ManagerParts,
  type PutOptions,
  type PutResult,
  type Relationship,
  UnsupportedOperationError,
  ValidationError,
  type ValidationIssue,
} from '@assets/core'
import { countMetrics, readMetrics } from './metrics-check.js'
import { checkOptions } from '@assets/core'
import { DEFAULT_MAX_METRICS_BYTES, DEFAULT_TEMPORARY_TTL_SECONDS, type OutputManagerOptions, outputManagerOptionsSchema } from './output-options.js'
import { linkRelationship, refsOf, type RunLinks } from './run-links.js'

export const OUTPUT_TYPES = ['metrics', 'log', 'report', 'plot', 'intermediate', 'temporary', 'other'] as const
export type OutputType = (typeof OUTPUT_TYPES)[number]

/** Types that never outlive their run: they always carry an expiry. */
export const TEMPORARY_OUTPUT_TYPES: readonly OutputType[] = ['intermediate', 'temporary']

// Metric values are copied into the version's metadata (queryable with `where`) up to this many.
const MAX_METRICS_IN_METADATA = 256

export interface OutputPutOptions extends PutOptions {
  /** What the output is; `metrics` files are checked. Default `other`. */
  outputType?: OutputType
  /** The exact dataset, model and config versions of the run; recorded as relationships. */
  run?: RunLinks
  /** Identifier of the run, recorded in metadata (`runId`) so that a run's outputs can be found together. */
  runId?: string
  /** Seconds until `gc` may remove this version; an alternative to `expiresAt`. */
  ttl?: number
}

/**
 * Registers the outputs of runs (metrics, logs, reports, plots, intermediate files) linked to
 * the exact versions of the run's inputs. Temporary and intermediate outputs always expire,
 * and `gc` (admin role) removes them once they have; nothing without an expiry is ever removed.
 */
export class OutputAssetManager extends BaseAssetManager {
  private readonly options: Required<OutputManagerOptions>

  constructor(parts: ManagerParts, actor: Actor, options: OutputManagerOptions = {}) {
    super(parts, actor)
    checkOptions(outputManagerOptionsSchema, options, 'outputs')
    this.options = { temporaryTtl: options.temporaryTtl ?? DEFAULT_TEMPORARY_TTL_SECONDS, maxMetricsBytes: options.maxMetricsBytes ?? DEFAULT_MAX_METRICS_BYTES }
  }

  override as(actor: Actor): OutputAssetManager {
    return new OutputAssetManager(this.parts, actor, this.options)
  }

  override async put(key: string, localPath: string, metadata: Record<string, unknown> = {}, options: OutputPutOptions = {}): Promise<PutResult> {
    const prepared = await this.prepare(key, localPath, metadata, options)
    if (!prepared.checkedBytes) return super.put(key, localPath, prepared.metadata, prepared.options)
    // The bytes that were checked are the bytes stored, even if the file changes meanwhile.
    const dir = await mkdtemp(join(tmpdir(), 'assets-metrics-'))
    try {
      const copy = join(dir, 'metrics.json')
      await writeFile(copy, prepared.checkedBytes)
      return await super.put(key, copy, prepared.metadata, prepared.options)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** As `put`, for an output left where the run wrote it (`s3://…`); metrics need their bytes checked, so they cannot be. */
  override async putReference(key: string, uri: string, metadata: Record<string, unknown> = {}, options: OutputPutOptions = {}): Promise<PutResult> {
    const prepared = await this.prepare(key, undefined, metadata, options)
    return super.putReference(key, uri, prepared.metadata, prepared.options)
  }

  /** Every check of an output put; throws before anything is stored. */
  private async prepare(key: string, localPath: string | undefined, metadata: Record<string, unknown>, options: OutputPutOptions) {
    if (options.kind !== undefined && options.kind !== 'output') {
      throw new InvalidInputError(`the output manager registers run outputs only, not a ${options.kind}`)
    }
    const outputType = options.outputType ?? 'other'
    if (!OUTPUT_TYPES.includes(outputType)) {
      throw new InvalidInputError(`unknown output type ${JSON.stringify(outputType)} (known: ${OUTPUT_TYPES.join(', ')})`)
    }
    if (options.runId !== undefined && (typeof options.runId !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(options.runId))) {
      throw new InvalidInputError('runId must be 1 to 128 characters of letters, digits, ".", "_", ":" or "-"')
    }
    const expiresAt = this.expiryOf(outputType, options)
    const described: Record<string, unknown> = { ...metadata, outputType }
    if (options.runId !== undefined) described.runId = options.runId
    let checkedBytes: Buffer | undefined
    if (outputType === 'metrics') {
      if (localPath === undefined) throw new UnsupportedOperationError(`metrics ${key} cannot be registered by reference: their values are checked from the file; put a local copy`)
      const metrics = await readMetrics(localPath, this.options.maxMetricsBytes)
      if (countMetrics(metrics.values) <= MAX_METRICS_IN_METADATA) described.metrics = metrics.values
      checkedBytes = metrics.bytes
    }
    const links = await this.resolveRun(options.run ?? {})
    const { outputType: _t, run: _r, runId: _i, ttl: _l, ...putOptions } = options
    const prepared: PutOptions = { ...putOptions, kind: 'output', expiresAt, relationships: [...(options.relationships ?? []), ...links] }
    return { metadata: described, options: prepared, checkedBytes }
  }

  /** An explicit expiry, a ttl, or for temporary types the manager's default ttl. */
  private expiryOf(outputType: OutputType, options: OutputPutOptions): string | undefined {
    if (options.ttl !== undefined && options.expiresAt !== undefined) throw new InvalidInputError('give either ttl or expiresAt, not both')
    // gc removes what has expired: only temporary and intermediate outputs may, so a report or
    // metrics put with a ttl by mistake is refused rather than silently deleted later.
    if ((options.ttl !== undefined || options.expiresAt !== undefined) && !TEMPORARY_OUTPUT_TYPES.includes(outputType)) {
      throw new InvalidInputError(`only ${TEMPORARY_OUTPUT_TYPES.join(' and ')} outputs expire; a ${outputType} output cannot take ttl or expiresAt`)
    }
    let at: Date | undefined
    if (options.ttl !== undefined) {
      if (typeof options.ttl !== 'number' || !Number.isFinite(options.ttl) || options.ttl <= 0) {
        throw new InvalidInputError(`ttl must be a positive number of seconds, got ${String(options.ttl)}`)
      }
      at = new Date(Date.now() + options.ttl * 1000)
    } else if (options.expiresAt !== undefined) {
      at = new Date(options.expiresAt)
      if (Number.isNaN(at.getTime())) throw new InvalidInputError(`expiresAt is not a date: ${String(options.expiresAt)}`)
      if (at.getTime() <= Date.now()) throw new InvalidInputError(`expiresAt ${at.toISOString()} has already passed`)
    } else if (TEMPORARY_OUTPUT_TYPES.includes(outputType)) {
      at = new Date(Date.now() + this.options.temporaryTtl * 1000)
    }
    return at?.toISOString()
  }

  /** Each run input resolved now to the exact version it names, and checked to be of its kind. */
  private async resolveRun(run: RunLinks): Promise<Relationship[]> {
    if (typeof run !== 'object' || run === null) throw new InvalidInputError('run must be an object of dataset, model and config references')
    const unknownRoles = Object.keys(run).filter((r) => !['dataset', 'model', 'config'].includes(r))
    if (unknownRoles.length > 0) throw new InvalidInputError(`unknown run input ${unknownRoles.join(', ')} (known: dataset, model, config)`)
    const relationships: Relationship[] = []
    const issues: ValidationIssue[] = []
    for (const { role, key, ref } of refsOf(run)) {
      const record = await this.readable(key, ref)
      const link = linkRelationship(role, record)
      if (link.issue) issues.push(link.issue)
      if (link.relationship) relationships.push(link.relationship)
    }
    if (issues.length > 0) throw new ValidationError('the run links do not point at the right kinds of asset', issues)
    return relationships
  }
}
