import { type Static, type StringOptions, Type } from '@sinclair/typebox'
import { CURIE, checked, FreeObject, NonEmpty, patterned, REFERENCE, stringEnum, TOKEN } from './schema-parts.js'

export const AXIS_KINDS = ['sample', 'feature', 'spatial', 'channel', 'sequence', 'time', 'batch', 'custom'] as const

/** One dimension of a data slot: `cells`, `genes`, `x`, `time` … */
export const AxisSchema = Type.Object(
  {
    name: NonEmpty({ description: 'cells, genes, x, time …' }),
    size: Type.Optional(Type.Integer({ minimum: 0, description: 'fixed length; absent means variable' })),
    kind: Type.Optional(stringEnum(AXIS_KINDS, { default: 'custom' })),
  },
  { additionalProperties: false, title: 'Axis' },
)
export type Axis = Static<typeof AxisSchema>

const token = (what: string, options: StringOptions = {}) =>
  patterned(TOKEN, 'INVALID_FORMAT', `${what} must be a name without colons or spaces`, options)

/**
 * One typed slot of data that a dataset holds, a model consumes or emits, or a metric reads.
 * Matched across specs by modality, semantic and version; `formats` say how it may be stored.
 */
export const InputOutputSpecSchema = Type.Object(
  {
    name: NonEmpty({ description: 'human-readable name of the slot' }),
    modality: patterned(TOKEN, 'INVALID_FORMAT', 'modality must be a name without colons or spaces (rna, dna, protein …)'),
    semantic: patterned(CURIE, 'INVALID_CURIE', 'semantic must be an ontology id of the form PREFIX:LOCALID, e.g. GO:0008150 or EDAM:data_0006', {
      description: 'ontology reference (EDAM, OBI, GO …) as a CURIE',
    }),
    organism: Type.Optional(checked('organism', { description: 'organism name, enum or NCBITaxon id; stored as NCBITaxon:<id>' })),
    version: Type.Optional(token('version', { default: '1.0.0', description: 'bump when axes or encodings change' })),
    axes: Type.Optional(Type.Array(AxisSchema)),
    formats: Type.Optional(Type.Array(token('a format'), { minItems: 1, uniqueItems: true, default: ['h5ad'], description: 'in order of preference' })),
    encodings: Type.Optional(Type.Array(token('an encoding'), { minItems: 1, uniqueItems: true, default: ['dense'] })),
    validator: Type.Optional(patterned(REFERENCE, 'INVALID_REFERENCE', 'validator must be a module:function reference')),
    validation_schema: Type.Optional(FreeObject('passed to the validator')),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false, title: 'InputOutputSpec' },
)
export type InputOutputSpec = Static<typeof InputOutputSpecSchema>

export const PROVENANCE_SOURCES = ['internal', 'external'] as const

/** Where a dataset or model comes from. */
export const SpecProvenanceSchema = Type.Object(
  {
    source: Type.Optional(stringEnum(PROVENANCE_SOURCES, { default: 'external' })),
    version: Type.Optional(NonEmpty()),
    authors: Type.Optional(Type.Array(NonEmpty())),
    license: Type.Optional(NonEmpty()),
    citation: Type.Optional(NonEmpty()),
    doi: Type.Optional(NonEmpty()),
    url: Type.Optional(checked('url')),
  },
  { additionalProperties: false, title: 'SpecProvenance' },
)
export type SpecProvenance = Static<typeof SpecProvenanceSchema>
