import {
  type Actor,
  type AssetRecord,
  BaseAssetManager,
  CompatibilityChecker,
  InvalidInputError,
  type ManagerParts,
  type ModelSpec,
  type PutOptions,
  type PutResult,
  type Relationship,
  type TaskSpec,
  ValidationError,
  type ValidationIssue,
} from '@assets/core'
import { blocking, checkDataset, type DatasetCompatibility } from './dataset-compatibility.js'
import { IncompatibleModelError } from './incompatible-model-error.js'
import { checkOptions } from '@assets/core'
import { checkCompute, checkModality, checkRequiredFiles, type ModelModality, parseWithIssues } from './model-spec-check.js'
import { DEFAULT_CHECKED_RELATIONS, type ModelManagerOptions, modelManagerOptionsSchema } from './model-options.js'

/** The audit action written when a relation is recorded despite compatibility errors. */
export const COMPAT_OVERRIDE_ACTION = 'compat-override'

const MAX_REASON_LENGTH = 2000

export interface ModelPutOptions extends PutOptions {
  /** statistical, ml or simulation. */
  modality?: ModelModality
  /** The ModelSpec (inputs, outputs, compute, supported tasks and metrics); required. */
  specs?: unknown
  /** A TaskSpec the model is checked against together with each related dataset. */
  task?: unknown
  /** A machine description: compute needs it cannot meet are compatibility errors. */
  machine?: unknown
  /** For a model folder: files that must be in it, e.g. `['model.safetensors', 'config.json']`. */
  requiredFiles?: string[]
  /** Record relations to incompatible datasets anyway; audited with the actor, reason and issues. */
  override?: { reason: string }
}

interface PreparedModel {
  metadata: Record<string, unknown>
  options: PutOptions
}

export interface CompatibilityCheckOptions {
  task?: unknown
  machine?: unknown
}

/**
 * Registers models (single files or folders of weights plus config) with a checked ModelSpec.
 * A relation to a dataset (`evaluated_on`, `compatible_with`) is recorded only when the model
 * is compatible with the DatasetSpec of that exact dataset version, or when the caller
 * overrides the check with a reason, which goes into the audit trail.
 */
export class ModelAssetManager extends BaseAssetManager {
  private readonly checkedRelations: Set<string>

  constructor(parts: ManagerParts, actor: Actor, options: ModelManagerOptions = {}) {
    super(parts, actor)
    checkOptions(modelManagerOptionsSchema, options, 'models')
    this.checkedRelations = new Set(options.checkedRelations ?? DEFAULT_CHECKED_RELATIONS)
  }

  override as(actor: Actor): ModelAssetManager {
    return new ModelAssetManager(this.parts, actor, { checkedRelations: [...this.checkedRelations] })
  }

  override async put(key: string, localPath: string, metadata: Record<string, unknown> = {}, options: ModelPutOptions = {}): Promise<PutResult> {
    const prepared = await this.prepare(key, localPath, metadata, options)
    return super.put(key, localPath, prepared.metadata, prepared.options)
  }

  /** As `put`, for weights registered by reference (`s3://…`): the same checks, before anything is read. */
  override async putReference(key: string, uri: string, metadata: Record<string, unknown> = {}, options: ModelPutOptions = {}): Promise<PutResult> {
    const prepared = await this.prepare(key, undefined, metadata, options)
    return super.putReference(key, uri, prepared.metadata, prepared.options)
  }

  /** Every check of a model put; throws before anything is stored. */
  private async prepare(key: string, localPath: string | undefined, metadata: Record<string, unknown>, options: ModelPutOptions): Promise<PreparedModel> {
    if (options.kind !== undefined && options.kind !== 'model') {
      throw new InvalidInputError(`the model manager registers models only, not a ${options.kind}`)
    }
    const reason = checkOverride(options.override)
    const issues: ValidationIssue[] = []
    const modality = checkModality(options.modality, issues)
    const spec = options.specs === undefined ? missingSpec(issues) : parseWithIssues('model', options.specs, 'specs', issues)
    if (spec) checkCompute(spec, issues)
    const task = options.task === undefined ? undefined : parseWithIssues('task', options.task, 'task', issues)
    const machine = options.machine === undefined ? undefined : parseWithIssues('machine', options.machine, 'machine', issues)
    if (localPath === undefined) {
      if (options.requiredFiles !== undefined) issues.push({ code: 'NOT_A_FOLDER', path: 'requiredFiles', message: 'requiredFiles needs a model folder; a reference is one object' })
    } else {
      await checkRequiredFiles(localPath, options.requiredFiles, issues).catch((cause: unknown) => {
        throw new InvalidInputError(`source ${localPath} does not exist or cannot be read`, { cause })
      })
    }
    if (issues.length > 0 || !spec || !modality) throw new ValidationError(`model ${key} was not registered`, issues)

    const { relationships, compatibility } = await this.checkRelations(options.relationships ?? [], spec, task, new CompatibilityChecker({ machine }))
    const overridden = compatibility.filter((c) => blocking(c).length > 0)
    if (overridden.length > 0 && reason === undefined) throw new IncompatibleModelError(key, compatibility)

    const described: Record<string, unknown> = { ...metadata, ...describe(spec, modality) }
    if (compatibility.length > 0) {
      described.compatibility = compatibility.map((c) => ({
        relation: c.relation,
        key: c.key,
        version: c.version,
        status: blocking(c).length > 0 ? 'overridden' : 'compatible',
        warnings: c.issues.filter((i) => i.severity === 'warning').map((i) => i.code),
      }))
    }
    // Kept with the version too, so the override is known even to whoever cannot read the audit trail.
    if (overridden.length > 0) described.compatibilityOverride = { reason, issues: overridden.flatMap(blocking).map((i) => i.code) }
    const { modality: _m, task: _t, machine: _c, requiredFiles: _f, override: _o, ...putOptions } = options
    // The override is audited by the registration itself, in its transaction: the entry exists
    // exactly when the version does (a no-op re-put or a failed registration writes none).
    const audit = overridden.length === 0 ? putOptions.audit : [...(putOptions.audit ?? []), {
      action: COMPAT_OVERRIDE_ACTION,
      details: { reason, datasets: overridden.map((c) => ({ relation: c.relation, key: c.key, version: c.version, issues: blocking(c) })) },
    }]
    return { metadata: described, options: { ...putOptions, kind: 'model', specs: spec, relationships, audit } }
  }

  /**
   * How a registered model version fares against a dataset version (and a task), without
   * recording anything: the issues the put would report.
   */
  async checkCompatibility(model: { key: string; version?: string }, dataset: { key: string; version?: string }, options: CompatibilityCheckOptions = {}): Promise<DatasetCompatibility> {
    const issues: ValidationIssue[] = []
    const modelRecord = await this.readable(model.key, model.version ?? 'latest')
    const spec = parseWithIssues('model', modelRecord.specs, 'specs', issues)
    const task = options.task === undefined ? undefined : parseWithIssues('task', options.task, 'task', issues)
    const machine = options.machine === undefined ? undefined : parseWithIssues('machine', options.machine, 'machine', issues)
    if (issues.length > 0 || !spec) throw new ValidationError(`cannot check ${model.key}@${modelRecord.version}`, issues)
    const datasetRecord = await this.readable(dataset.key, dataset.version ?? 'latest')
    return checkDataset(new CompatibilityChecker({ machine }), 'compatible_with', datasetRecord, spec, task)
  }

  /** Resolves every relation now; checked ones must point at a dataset and are checked against it. */
  private async checkRelations(relations: Relationship[], model: ModelSpec, task: TaskSpec | undefined, checker: CompatibilityChecker) {
    if (!Array.isArray(relations)) throw new InvalidInputError('relationships must be a list of {relation, key, version}')
    const relationships: Relationship[] = []
    const compatibility: DatasetCompatibility[] = []
    const kindIssues: ValidationIssue[] = []
    for (const [i, r] of relations.entries()) {
      if (!this.checkedRelations.has(r?.relation)) {
        relationships.push(r)
        continue
      }
      const target: AssetRecord = await this.readable(r.key, r.version ?? 'latest')
      // The exact version checked is the one recorded, even if `latest` moves meanwhile.
      relationships.push({ relation: r.relation, key: target.key, version: target.version })
      if (target.kind !== 'dataset') {
        kindIssues.push({ code: 'NOT_A_DATASET', path: `relationships/${i}`, message: `${r.relation} must point at a dataset, but ${target.key}@${target.version} is a ${target.kind}` })
        continue
      }
      compatibility.push(checkDataset(checker, r.relation, target, model, task))
    }
    if (kindIssues.length > 0) throw new ValidationError('the model relates to assets that are not datasets', kindIssues)
    return { relationships, compatibility }
  }
}

function missingSpec(issues: ValidationIssue[]): undefined {
  issues.push({ code: 'SPEC_REQUIRED', path: 'specs', message: 'a model needs its ModelSpec (inputs, outputs, compute) in options.specs' })
  return undefined
}

function checkOverride(override: unknown): string | undefined {
  if (override === undefined) return undefined
  const reason = (override as { reason?: unknown } | null)?.reason
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON_LENGTH) {
    throw new InvalidInputError(`override needs a reason of 1 to ${MAX_REASON_LENGTH} characters: {reason: "why the relation holds despite the issues"}`)
  }
  return reason.trim()
}

/** The parts of the spec worth querying with findAssets, copied into metadata. */
function describe(spec: ModelSpec, modality: ModelModality): Record<string, unknown> {
  const c = spec.compute ?? {}
  return {
    modality,
    supportedTasks: spec.supported_tasks ?? [],
    supportedMetrics: spec.supported_metrics ?? [],
    compute: { useGpu: c.use_gpu ?? false, gpuCount: c.use_gpu ? (c.gpu_count ?? 1) : 0, gpuMinMemoryMb: c.gpu_min_memory ?? null, cpuCores: c.cpu_cores ?? 4, ramMb: c.ram_mb ?? 8192, diskMb: c.disk_mb ?? 10240 },
  }
}
