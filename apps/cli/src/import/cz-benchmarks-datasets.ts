import { InvalidInputError, listOrganisms, type Organism, parseDataYaml, validateKey } from '@assets/core'

// Reads cz-benchmarks' dataset catalogue (src/czbenchmarks/conf/datasets.yaml, a Hydra config)
// as data: nothing in it is evaluated or instantiated. Its loader (czbenchmarks.datasets.utils)
// resolves `${organism:NAME}` with `getattr(Organism, NAME)` and instantiates `_target_`; here
// the organism is looked up in cz-benchmarks' Organism enum as our table holds it, `_target_`
// only names a kind, and any other `${…}` is refused rather than left for someone to resolve.

/** One dataset of the catalogue, mapped to what the import registers. */
export interface CzDatasetEntry {
  /** The dataset's name in the catalogue (`tsv2_prostate`). */
  name: string
  /** Which file it came from (the last one that declares it). */
  file: string
  uri: string
  /** What the version's metadata holds (organism, dataset kind, layout version, the class parameters). */
  metadata: CzDatasetMetadata
}

export interface CzDatasetMetadata {
  /** `NCBITaxon:9606`: the form the datasets package records. */
  organism: string
  organism_name: string
  /** What the organism's gene ids start with; absent for organisms whose ids share no prefix. */
  gene_id_prefix?: string
  /** The `_target_` class as a kind: `single_cell_labeled`. */
  dataset_kind: string
  /** From a `datasets/vN/` segment of the path, never from a file name such as `Tabula_Sapiens_v2`. */
  layout_version?: number
  cz_benchmarks: {
    name: string
    /** The raw `_target_` class name. */
    target: string
    /** The Organism enum member named in the file. */
    organism_enum: string
    /** Every other key of the entry, as written (class parameters such as condition_key, and keys unknown to us). */
    parameters: Record<string, unknown>
  }
}

export interface RefusedEntry {
  name: string
  file: string
  reason: string
}

export interface CatalogueFile {
  /** As named on the command line; only used in messages and the report. */
  path: string
  text: string
}

export interface ParsedCatalogue {
  /** By dataset name, in the order first declared; a later file's entry replaces an earlier one's. */
  entries: CzDatasetEntry[]
  refused: RefusedEntry[]
}

/** `_target_` classes of cz-benchmarks and the kind each stands for. */
const KNOWN_TARGETS: Readonly<Record<string, string>> = {
  'czbenchmarks.datasets.SingleCellLabeledDataset': 'single_cell_labeled',
  'czbenchmarks.datasets.SingleCellPerturbationDataset': 'single_cell_perturbation',
  'czbenchmarks.datasets.SingleCellDataset': 'single_cell',
}
const TARGET_PACKAGE = 'czbenchmarks.datasets.'
const RESERVED = new Set(['_target_', 'organism', 'path'])
const ORGANISM = /^\$\{organism:([A-Za-z_][A-Za-z0-9_]*)\}$/
const INTERPOLATION = /\$\{/
const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[^\s]+$/
const LAYOUT = /(?:^|\/)datasets\/v(\d+)\//

/** Reads the files in order and merges them, the later one winning per dataset name. */
export function parseCatalogues(files: CatalogueFile[]): ParsedCatalogue {
  const byName = new Map<string, CzDatasetEntry | RefusedEntry>()
  for (const file of files) {
    for (const [name, value] of Object.entries(readDatasets(file))) {
      // Re-inserted so that a replaced entry keeps no trace of the earlier file's.
      byName.delete(name)
      byName.set(name, mapEntry(name, value, file.path))
    }
  }
  const entries: CzDatasetEntry[] = []
  const refused: RefusedEntry[] = []
  for (const item of byName.values()) {
    if ('reason' in item) refused.push(item)
    else entries.push(item)
  }
  return { entries, refused }
}

function readDatasets(file: CatalogueFile): Record<string, unknown> {
  const { value, problems } = parseDataYaml(file.text)
  if (problems.length > 0) {
    const p = problems[0]!
    throw fileError(file.path, `${p.code}: ${p.message}${p.line === undefined ? '' : ` (line ${p.line})`}`)
  }
  if (!isMap(value)) throw fileError(file.path, 'expected a mapping with a "datasets" section')
  for (const key of Object.keys(value)) {
    if (key !== 'defaults' && key !== 'datasets') throw fileError(file.path, `unexpected top-level key ${JSON.stringify(key)} (a dataset catalogue has defaults and datasets)`)
  }
  const defaults = value.defaults
  // Hydra's `defaults: [_self_]` only orders this file's own values; any other default would
  // compose another config in, which reading the file alone cannot do faithfully.
  if (defaults !== undefined && !(Array.isArray(defaults) && defaults.every((d) => d === '_self_'))) {
    throw fileError(file.path, 'only "defaults: [_self_]" is understood; this file composes other configs')
  }
  if (!isMap(value.datasets)) throw fileError(file.path, '"datasets" must be a mapping of dataset names to entries')
  return value.datasets
}

function mapEntry(name: string, value: unknown, file: string): CzDatasetEntry | RefusedEntry {
  const refuse = (reason: string): RefusedEntry => ({ name, file, reason })
  // One key segment: a "/" in a name would file it under another dataset's key.
  try {
    if (name.includes('/')) throw new Error('a slash')
    validateKey(`cz-benchmarks/${name}`)
  } catch {
    return refuse('the dataset name cannot be a key segment (letters, digits, ".", "_" and "-" only)')
  }
  if (value === null || value === undefined) return refuse('the entry is empty (null)')
  if (!isMap(value)) return refuse('the entry is not a mapping')
  const stray = findInterpolation(value, [])
  const target = value._target_
  if (typeof target !== 'string' || target === '') return refuse('_target_ is missing')
  const kind = kindOf(target)
  if (kind === undefined) return refuse(`_target_ ${JSON.stringify(target)} is not a cz-benchmarks dataset class`)
  const organismText = value.organism
  if (typeof organismText !== 'string') return refuse(`organism is missing; expected \${organism:NAME}`)
  const organismName = ORGANISM.exec(organismText)?.[1]
  if (organismName === undefined) return refuse(`organism ${JSON.stringify(organismText)} is not \${organism:NAME}`)
  const organism = organismByEnum(organismName)
  if (!organism) return refuse(`unknown organism ${organismName}: cz-benchmarks' Organism enum has no such member`)
  if (stray) return refuse(`${stray.path} holds ${JSON.stringify(stray.text)}: only \${organism:NAME} is resolved, any other interpolation is refused`)
  const uri = value.path
  if (typeof uri !== 'string' || !S3_URI.test(uri)) return refuse(`path ${JSON.stringify(uri)} is not an s3://bucket/key URI`)
  const parameters = Object.fromEntries(Object.entries(value).filter(([k]) => !RESERVED.has(k)))
  const layout = LAYOUT.exec(uri.slice('s3://'.length).replace(/^[^/]+\//, ''))?.[1]
  return {
    name,
    file,
    uri,
    metadata: {
      organism: organism.taxon,
      organism_name: organism.name,
      ...(organism.genePrefix ? { gene_id_prefix: organism.genePrefix } : {}),
      dataset_kind: kind,
      ...(layout === undefined ? {} : { layout_version: Number(layout) }),
      cz_benchmarks: { name, target, organism_enum: organism.enum, parameters },
    },
  }
}

/** A known class's kind; another class of cz-benchmarks' datasets package by its name (FooBarDataset → foo_bar). */
function kindOf(target: string): string | undefined {
  const known = KNOWN_TARGETS[target]
  if (known) return known
  if (!target.startsWith(TARGET_PACKAGE)) return undefined
  const cls = target.slice(TARGET_PACKAGE.length)
  if (!/^[A-Z][A-Za-z0-9]*$/.test(cls)) return undefined
  const base = cls.replace(/Dataset$/, '') || cls
  return base.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}

/** The enum member exactly as Python's getattr(Organism, NAME) would find it (case-sensitive). */
function organismByEnum(name: string): Organism | undefined {
  return listOrganisms().find((o) => o.enum === name)
}

/** The first `${…}` anywhere in the entry except its organism, with where it is. */
function findInterpolation(value: unknown, path: string[]): { path: string; text: string } | undefined {
  if (typeof value === 'string') return INTERPOLATION.test(value) && path.join('.') !== 'organism' ? { path: path.join('.') || 'entry', text: value } : undefined
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = findInterpolation(v, [...path, String(i)])
      if (found) return found
    }
    return undefined
  }
  if (isMap(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (INTERPOLATION.test(k)) return { path: [...path, k].join('.'), text: k }
      const found = findInterpolation(v, [...path, k])
      if (found) return found
    }
  }
  return undefined
}

/** A file that cannot be read as a catalogue at all: nothing from any file is imported. */
function fileError(file: string, message: string): InvalidInputError {
  return new InvalidInputError(`${file}: ${message}`)
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
