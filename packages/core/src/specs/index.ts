// InputOutputSpecs (the cz-benchmarks design): typebox schemas for datasets, models, tasks and
// metrics, their loaders, and the dataset × model × task compatibility checker.
export { type Axis, AXIS_KINDS, AxisSchema, type InputOutputSpec, InputOutputSpecSchema, PROVENANCE_SOURCES, type SpecProvenance, SpecProvenanceSchema } from './io-spec-schema.js'
export {
  CLOUD_PROVIDERS,
  type MachineDescription,
  MachineDescriptionSchema,
  type MachineGpu,
  MachineGpuSchema,
  type Resource,
  ResourceSchema,
} from './resource-schema.js'
export {
  type DatasetSpec,
  DatasetSpecSchema,
  METRIC_DIRECTIONS,
  type MetricSpec,
  MetricSpecSchema,
  type ModelSpec,
  ModelSpecSchema,
  TASK_GOALS,
  type TaskSpec,
  TaskSpecSchema,
} from './spec-schemas.js'
export { matchKey, specFormats, specKey } from './spec-key.js'
export { SPEC_KINDS, SPEC_SCHEMAS, type SpecKind, type SpecTypes } from './spec-kinds.js'
export { type ParseSpecOptions, parseSpec } from './parse-spec.js'
export { loadSpecFile, MAX_SPEC_FILE_BYTES, parseSpecText, type SpecTextOptions } from './spec-file.js'
export { listOrganisms, normalizeOrganism, type Organism } from './organisms.js'
export {
  type CompatibilityCode,
  type CompatibilityIssue,
  type CompatibilityParty,
  type CompatibilitySeverity,
  isCompatible,
} from './compatibility-issue.js'
export { CompatibilityChecker, type CompatibilityOptions, checkCompatibility } from './compatibility-checker.js'
