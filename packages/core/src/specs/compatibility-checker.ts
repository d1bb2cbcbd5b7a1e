import type { CompatibilityCode, CompatibilityIssue, CompatibilityParty, CompatibilitySeverity } from './compatibility-issue.js'
import type { InputOutputSpec } from './io-spec-schema.js'
import { normalizeOrganism } from './organisms.js'
import { resourceIssues } from './resource-check.js'
import type { MachineDescription } from './resource-schema.js'
import { matchKey, specFormats, specKey } from './spec-key.js'
import type { DatasetSpec, ModelSpec, TaskSpec } from './spec-schemas.js'

export interface CompatibilityOptions {
  /** The machine the model would run on; without it compute needs are not checked. */
  machine?: MachineDescription
}

/** Where a wanted slot stands among the specs on offer. */
interface Lookup {
  /** Same slot, a format in common. */
  usable?: InputOutputSpec
  /** Same slot, but no format in common. */
  formatOnly?: InputOutputSpec
  /** Versions offered of the same modality and semantic, when the wanted version is not. */
  otherVersions: string[]
}

/**
 * Fail-fast check of a dataset × model (× task) combination before any data is loaded. Slots are
 * matched by modality, semantic and version; formats are then compared, so that a slot present
 * in the wrong format is FORMAT_MISMATCH and not a missing slot.
 */
export class CompatibilityChecker {
  private readonly machine: MachineDescription | undefined

  constructor(options: CompatibilityOptions = {}) {
    this.machine = options.machine
  }

  check(dataset: DatasetSpec, model: ModelSpec, task?: TaskSpec): CompatibilityIssue[] {
    const issues: CompatibilityIssue[] = []
    const add: Add = (who, code, message, severity = 'error') => issues.push({ who, code, severity, message })
    const ds = `Dataset "${dataset.name}"`
    const md = `Model "${model.name}"`
    for (const need of model.required_inputs ?? []) {
      checkSlot(add, { who: 'dataset', owner: ds, offered: dataset.specs, wanted: need, reader: md, role: `${md} input` }, 'MISSING_INPUT', ` that ${md} requires`)
    }
    for (const want of model.optional_inputs ?? []) {
      const rule = { who: 'dataset', owner: ds, offered: dataset.specs, wanted: want, reader: `${md} (an optional input)`, role: `${md} optional input`, severity: 'warning' } as const
      checkSlot(add, rule, 'OPTIONAL_INPUT_MISSING', `, an optional input of ${md}; the model runs without it`)
    }
    if (task !== undefined) this.checkTask(add, dataset, model, task)
    if (this.machine !== undefined) issues.push(...resourceIssues(model, this.machine))
    return issues
  }

  private checkTask(add: Add, dataset: DatasetSpec, model: ModelSpec, task: TaskSpec): void {
    const ds = `Dataset "${dataset.name}"`
    const md = `Model "${model.name}"`
    const tk = `task "${task.name}"`
    const supported = model.supported_tasks
    if (supported !== undefined && !supported.some((t) => sameName(t, task.name))) {
      add('model', 'UNSUPPORTED_TASK', `${md} does not list ${tk} among its supported tasks (${supported.join(', ') || 'none'})`)
    }
    const fromDataset = { who: 'dataset', owner: ds, offered: dataset.specs, reader: tk } as const
    checkSlot(add, { ...fromDataset, wanted: task.input_schema, role: `${tk} input` }, 'MISSING_INPUT', ` that ${tk} gives models as input`)
    const prediction = { who: 'model', owner: md, offered: model.outputs, reader: tk, wanted: task.prediction_schema, role: `${tk} prediction`, emits: true } as const
    checkSlot(add, prediction, 'MISSING_OUTPUT', ` that ${tk} expects as its prediction`)
    checkSlot(add, { ...fromDataset, wanted: task.reference_schema, role: `${tk} reference` }, 'MISSING_REFERENCE', ` that ${tk} needs as its reference`)

    const supplied = [task.prediction_schema, task.reference_schema]
    for (const metric of task.metrics) {
      const missing = metric.inputs.filter((i) => lookup(i, supplied).usable === undefined)
      if (missing.length > 0) {
        add('metric', 'METRIC_INPUT', `Metric "${metric.name}" of ${tk} reads ${missing.map((m) => `"${m.name}" (${specKey(m)})`).join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} neither the task's prediction (${specKey(task.prediction_schema)}) nor its reference (${specKey(task.reference_schema)})`)
      }
      const metrics = model.supported_metrics
      if (metrics !== undefined && !metrics.some((m) => sameName(m, metric.name))) {
        add('metric', 'UNSUPPORTED_METRIC', `${md} does not list metric "${metric.name}" of ${tk} among its supported metrics (${metrics.join(', ') || 'none'})`, 'warning')
      }
    }
    this.checkContextOrganism(add, dataset, model, task)
  }

  // The task's context names the organism it is about; every slot that names one must agree.
  private checkContextOrganism(add: Add, dataset: DatasetSpec, model: ModelSpec, task: TaskSpec): void {
    const wanted = task.context?.organism
    if (typeof wanted !== 'string') return
    const parties: Array<[CompatibilityParty, string, InputOutputSpec[]]> = [
      ['dataset', `Dataset "${dataset.name}"`, dataset.specs],
      ['model', `Model "${model.name}"`, [...(model.required_inputs ?? []), ...(model.optional_inputs ?? []), ...model.outputs]],
    ]
    for (const [who, name, specs] of parties) {
      const reported = new Set<string>()
      for (const spec of specs) {
        if (spec.organism === undefined || sameOrganism(spec.organism, wanted)) continue
        const taxon = organismId(spec.organism)
        if (reported.has(taxon)) continue
        reported.add(taxon)
        add(who, 'ORGANISM_MISMATCH', `${name} "${spec.name}" is for ${organismLabel(spec.organism)}, but task "${task.name}" is about ${organismLabel(wanted)}`)
      }
    }
  }
}

type Add = (who: CompatibilityParty, code: CompatibilityCode, message: string, severity?: CompatibilitySeverity) => void

/** Runs a CompatibilityChecker once. */
export function checkCompatibility(dataset: DatasetSpec, model: ModelSpec, task?: TaskSpec, options: CompatibilityOptions = {}): CompatibilityIssue[] {
  return new CompatibilityChecker(options).check(dataset, model, task)
}

/** One slot `wanted` by a reader among the specs an owner `offered`. */
interface SlotRule {
  who: CompatibilityParty
  owner: string
  offered: readonly InputOutputSpec[]
  wanted: InputOutputSpec
  reader: string
  /** Who wants it, for an organism mismatch: `Model "m" input`. */
  role: string
  severity?: CompatibilitySeverity
  /** The owner emits the slot (a model's outputs) rather than holds it. */
  emits?: boolean
}

// Absent → `missingCode`; present in no format the reader takes → FORMAT_MISMATCH; present for
// another organism → ORGANISM_MISMATCH.
function checkSlot(add: Add, rule: SlotRule, missingCode: CompatibilityCode, missingTail: string): void {
  const { who, owner, wanted, severity } = rule
  const found = lookup(wanted, rule.offered)
  const [lacks, has] = rule.emits === true ? ['does not emit', 'emits'] : ['lacks', 'has']
  if (found.usable === undefined && found.formatOnly === undefined) {
    add(who, missingCode, `${owner} ${lacks} ${slot(wanted)}${missingTail}${versionsHint(found)}`, severity)
  } else if (found.usable === undefined) {
    add(who, 'FORMAT_MISMATCH', `${owner} ${has} ${slot(wanted)} only as ${formats(found.formatOnly!)}, but ${rule.reader} reads ${formats(wanted)}`, severity)
  }
  const spec = found.usable ?? found.formatOnly
  if (spec?.organism === undefined || wanted.organism === undefined || sameOrganism(spec.organism, wanted.organism)) return
  add(who, 'ORGANISM_MISMATCH', `${owner} "${spec.name}" is for ${organismLabel(spec.organism)}, but ${rule.role} "${wanted.name}" is for ${organismLabel(wanted.organism)}`, severity)
}

function lookup(wanted: InputOutputSpec, offered: readonly InputOutputSpec[]): Lookup {
  const key = matchKey(wanted)
  const accepted = new Set(specFormats(wanted))
  const result: Lookup = { otherVersions: [] }
  for (const spec of offered) {
    if (matchKey(spec) === key) {
      if (specFormats(spec).some((f) => accepted.has(f))) {
        result.usable ??= spec
      } else result.formatOnly ??= spec
    } else if (spec.modality === wanted.modality && spec.semantic === wanted.semantic) {
      result.otherVersions.push(spec.version ?? '1.0.0')
    }
  }
  return result
}

function slot(spec: InputOutputSpec): string {
  return `the "${spec.name}" slot (${spec.modality} ${spec.semantic} version ${spec.version ?? '1.0.0'})`
}

function formats(spec: InputOutputSpec): string {
  return specFormats(spec).join(', ')
}

function versionsHint(found: Lookup): string {
  if (found.otherVersions.length === 0) return ''
  return `; it has version ${[...new Set(found.otherVersions)].join(', ')} of that slot instead`
}

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase()
}

// Specs from parseSpec already hold NCBITaxon ids; one built by hand may hold any spelling.
function organismId(value: string): string {
  return normalizeOrganism(value)?.taxon ?? value
}

function sameOrganism(a: string, b: string): boolean {
  return organismId(a) === organismId(b)
}

function organismLabel(value: string): string {
  const o = normalizeOrganism(value)
  return o === undefined ? value : `${o.name} (${o.taxon})`
}
