import type { TSchema } from '@sinclair/typebox'
import { type InputOutputSpec, InputOutputSpecSchema } from './io-spec-schema.js'
import { type MachineDescription, MachineDescriptionSchema } from './resource-schema.js'
import {
  type DatasetSpec,
  DatasetSpecSchema,
  type MetricSpec,
  MetricSpecSchema,
  type ModelSpec,
  ModelSpecSchema,
  type TaskSpec,
  TaskSpecSchema,
} from './spec-schemas.js'

/** What `parseSpec` and `loadSpecFile` return for each kind of spec. */
export interface SpecTypes {
  dataset: DatasetSpec
  model: ModelSpec
  task: TaskSpec
  metric: MetricSpec
  io: InputOutputSpec
  machine: MachineDescription
}

export type SpecKind = keyof SpecTypes

export const SPEC_SCHEMAS: { readonly [K in SpecKind]: TSchema } = {
  dataset: DatasetSpecSchema,
  model: ModelSpecSchema,
  task: TaskSpecSchema,
  metric: MetricSpecSchema,
  io: InputOutputSpecSchema,
  machine: MachineDescriptionSchema,
}

export const SPEC_KINDS = Object.keys(SPEC_SCHEMAS) as SpecKind[]
