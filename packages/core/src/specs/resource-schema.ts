import { type Static, Type } from '@sinclair/typebox'
import { NonEmpty, patterned, stringEnum } from './schema-parts.js'

export const CLOUD_PROVIDERS = ['aws', 'gcp', 'azure', 'custom'] as const

const CAPABILITY = /^\d+(\.\d+)?$/
const capability = (what: string) => patterned(CAPABILITY, 'INVALID_FORMAT', `${what} must be a CUDA compute capability such as 8.0`)

/** What a model needs to run. Every field has a default, so `{}` means "4 cores, 8 GiB, no GPU". */
export const ResourceSchema = Type.Object(
  {
    use_gpu: Type.Optional(Type.Boolean({ default: false })),
    gpu_type: Type.Optional(NonEmpty({ description: 'e.g. A100, H100; matched case-insensitively within the machine’s GPU name' })),
    gpu_count: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
    gpu_min_memory: Type.Optional(Type.Integer({ minimum: 0, description: 'MB per GPU' })),
    gpu_features: Type.Optional(Type.Array(NonEmpty(), { uniqueItems: true, description: 'e.g. flash_attention, fp8' })),
    gpu_compute_capability: Type.Optional(capability('gpu_compute_capability')),
    multi_gpu: Type.Optional(Type.Boolean({ default: false })),
    cpu_cores: Type.Optional(Type.Integer({ minimum: 1, default: 4 })),
    ram_mb: Type.Optional(Type.Integer({ minimum: 0, default: 8192 })),
    disk_mb: Type.Optional(Type.Integer({ minimum: 0, default: 10240 })),
    cloud_provider: Type.Optional(stringEnum(CLOUD_PROVIDERS)),
    instance_type: Type.Optional(NonEmpty({ description: 'e.g. n1-standard-8, m5.large' })),
    region: Type.Optional(NonEmpty({ description: 'e.g. us-west-2' })),
  },
  { additionalProperties: false, title: 'Resource', default: {} },
)
export type Resource = Static<typeof ResourceSchema>

/** One GPU of a machine a model may run on. */
export const MachineGpuSchema = Type.Object(
  {
    type: NonEmpty({ description: 'e.g. NVIDIA A100-SXM4-80GB' }),
    memory_mb: Type.Integer({ minimum: 0 }),
    compute_capability: Type.Optional(capability('compute_capability')),
    features: Type.Optional(Type.Array(NonEmpty(), { uniqueItems: true })),
  },
  { additionalProperties: false, title: 'MachineGpu' },
)
export type MachineGpu = Static<typeof MachineGpuSchema>

/** The machine a compatibility check plans to run on; compared with a model's Resource. */
export const MachineDescriptionSchema = Type.Object(
  {
    gpus: Type.Optional(Type.Array(MachineGpuSchema)),
    cpu_cores: Type.Integer({ minimum: 1 }),
    ram_mb: Type.Integer({ minimum: 0 }),
    disk_mb: Type.Integer({ minimum: 0, description: 'free disk space' }),
  },
  { additionalProperties: false, title: 'MachineDescription' },
)
export type MachineDescription = Static<typeof MachineDescriptionSchema>
