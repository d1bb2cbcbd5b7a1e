import { type Static, Type } from '@sinclair/typebox'
import { InputOutputSpecSchema, SpecProvenanceSchema } from './io-spec-schema.js'
import { ResourceSchema } from './resource-schema.js'
import { CHECKSUM, checked, FreeObject, NonEmpty, patterned, REFERENCE, stringEnum } from './schema-parts.js'

/** A dataset: the data slots it holds (unique by spec key) and where it comes from. */
export const DatasetSpecSchema = Type.Object(
  {
    name: NonEmpty(),
    description: Type.Optional(Type.String()),
    specs: Type.Array(InputOutputSpecSchema, { description: 'unique by key' }),
    provenance: Type.Optional(SpecProvenanceSchema),
    checksum: Type.Optional(patterned(CHECKSUM, 'INVALID_CHECKSUM', 'checksum must be sha256: followed by 64 hex digits')),
    created_at: Type.Optional(checked('date-time', { description: 'ISO 8601 time' })),
    metadata: Type.Optional(FreeObject('anything else')),
  },
  { additionalProperties: false, title: 'DatasetSpec' },
)
export type DatasetSpec = Static<typeof DatasetSpecSchema>

/** A runnable model: what it reads, what it emits, and what it needs to run. */
export const ModelSpecSchema = Type.Object(
  {
    name: NonEmpty(),
    description: Type.Optional(Type.String()),
    version: NonEmpty(),
    required_inputs: Type.Optional(Type.Array(InputOutputSpecSchema, { default: [] })),
    optional_inputs: Type.Optional(Type.Array(InputOutputSpecSchema, { default: [], description: 'e.g. masks' })),
    outputs: Type.Array(InputOutputSpecSchema),
    compute: Type.Optional(ResourceSchema),
    provenance: Type.Optional(SpecProvenanceSchema),
    metadata: Type.Optional(FreeObject('anything else')),
    supported_tasks: Type.Optional(Type.Array(NonEmpty(), { description: 'TaskSpec names' })),
    supported_metrics: Type.Optional(Type.Array(NonEmpty(), { description: 'MetricSpec names' })),
  },
  { additionalProperties: false, title: 'ModelSpec' },
)
export type ModelSpec = Static<typeof ModelSpecSchema>

export const METRIC_DIRECTIONS = ['higher_better', 'lower_better'] as const

/** A metric: the slots it reads (a task's prediction and reference) and its value range. */
export const MetricSpecSchema = Type.Object(
  {
    name: NonEmpty(),
    description: Type.Optional(Type.String()),
    category: NonEmpty({ description: 'clustering, classification …' }),
    impl: patterned(REFERENCE, 'INVALID_REFERENCE', 'impl must be a module:function reference'),
    direction: Type.Optional(stringEnum(METRIC_DIRECTIONS)),
    inputs: Type.Array(InputOutputSpecSchema),
    outputs: Type.Optional(Type.Array(InputOutputSpecSchema)),
    // Default [0, 1], filled by parseSpec: on a tuple, typebox would also pad a short range
    // from its default ([0.5] would become [0.5, 1]) instead of reporting it.
    range: Type.Optional(Type.Tuple([Type.Number(), Type.Number()], { description: '[lowest, highest]; default [0, 1]' })),
    threshold: Type.Optional(Type.Number({ description: 'pass/fail line, within range' })),
    metadata: Type.Optional(FreeObject('anything else')),
  },
  { additionalProperties: false, title: 'MetricSpec' },
)
export type MetricSpec = Static<typeof MetricSpecSchema>

export const TASK_GOALS = ['clustering', 'classification', 'dimensionality_reduction', 'perturbation', 'spatial_registration', 'custom'] as const

/** Known context fields are checked; any other (assay, disease …) is kept as given. */
const TaskContextSchema = Type.Object(
  {
    organism: Type.Optional(checked('organism', { description: 'organism name, enum or NCBITaxon id; stored as NCBITaxon:<id>' })),
    tissue: Type.Optional(NonEmpty()),
  },
  { additionalProperties: true, title: 'TaskContext' },
)

/** A task: what models get, what they must predict, the ground truth, and how it is scored. */
export const TaskSpecSchema = Type.Object(
  {
    name: NonEmpty(),
    description: Type.Optional(Type.String()),
    goal: stringEnum(TASK_GOALS),
    input_schema: InputOutputSpecSchema,
    prediction_schema: InputOutputSpecSchema,
    reference_schema: InputOutputSpecSchema,
    metrics: Type.Array(MetricSpecSchema),
    context: Type.Optional(TaskContextSchema),
    metadata: Type.Optional(FreeObject('anything else')),
  },
  { additionalProperties: false, title: 'TaskSpec' },
)
export type TaskSpec = Static<typeof TaskSpecSchema>
