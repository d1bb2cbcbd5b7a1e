import type { CompatibilityIssue } from './compatibility-issue.js'
import type { MachineDescription, MachineGpu, Resource } from './resource-schema.js'
import type { ModelSpec } from './spec-schemas.js'

/** RESOURCE_UNMET issues for each need of `model` that `machine` cannot meet. */
export function resourceIssues(model: ModelSpec, machine: MachineDescription): CompatibilityIssue[] {
  const need = model.compute ?? {}
  const issues: CompatibilityIssue[] = []
  const unmet = (message: string) => issues.push({ who: 'model', code: 'RESOURCE_UNMET', severity: 'error', message: `Model "${model.name}" ${message}` })
  if (need.use_gpu === true) {
    const gpuProblem = gpuShortfall(need, machine.gpus ?? [])
    if (gpuProblem !== undefined) unmet(gpuProblem)
  }
  const amounts: Array<[number, number, string]> = [
    [need.cpu_cores ?? 4, machine.cpu_cores, 'CPU cores'],
    [need.ram_mb ?? 8192, machine.ram_mb, 'MB of RAM'],
    [need.disk_mb ?? 10240, machine.disk_mb, 'MB of free disk'],
  ]
  for (const [wanted, has, what] of amounts) {
    if (wanted > has) unmet(`needs ${wanted} ${what}; the machine has ${has}`)
  }
  return issues
}

function gpuShortfall(need: Resource, gpus: readonly MachineGpu[]): string | undefined {
  const count = need.gpu_count ?? 1
  const wanted = `${count} GPU${count === 1 ? '' : 's'}${describeGpuNeed(need)}`
  if (gpus.length === 0) return `needs ${wanted}; the machine has no GPU`
  const reasons = gpus.map((gpu) => gpuReasons(need, gpu))
  const suitable = reasons.filter((r) => r.length === 0).length
  if (suitable >= count) return undefined
  const why = gpus
    .map((gpu, i) => (reasons[i]!.length === 0 ? undefined : `GPU ${i} (${gpu.type}) ${reasons[i]!.join(', ')}`))
    .filter((s) => s !== undefined)
  return `needs ${wanted}; the machine has ${suitable} such GPU${suitable === 1 ? '' : 's'}: ${why.join('; ')}`
}

function describeGpuNeed(need: Resource): string {
  const parts: string[] = []
  if (need.gpu_type !== undefined) parts.push(`of type ${need.gpu_type}`)
  if (need.gpu_min_memory !== undefined) parts.push(`with at least ${need.gpu_min_memory} MB`)
  if (need.gpu_compute_capability !== undefined) parts.push(`compute capability ${need.gpu_compute_capability} or higher`)
  if (need.gpu_features !== undefined && need.gpu_features.length > 0) parts.push(`supporting ${need.gpu_features.join(', ')}`)
  return parts.length === 0 ? '' : ` ${parts.join(', ')}`
}

function gpuReasons(need: Resource, gpu: MachineGpu): string[] {
  const reasons: string[] = []
  if (need.gpu_type !== undefined && !sameGpuType(need.gpu_type, gpu.type)) reasons.push(`is not of type ${need.gpu_type}`)
  if (need.gpu_min_memory !== undefined && gpu.memory_mb < need.gpu_min_memory) reasons.push(`has only ${gpu.memory_mb} MB`)
  if (need.gpu_compute_capability !== undefined) {
    if (gpu.compute_capability === undefined) reasons.push('has no known compute capability')
    else if (compareCapability(gpu.compute_capability, need.gpu_compute_capability) < 0) {
      reasons.push(`has compute capability ${gpu.compute_capability}`)
    }
  }
  const has = new Set((gpu.features ?? []).map((f) => f.toLowerCase()))
  const lacking = (need.gpu_features ?? []).filter((f) => !has.has(f.toLowerCase()))
  if (lacking.length > 0) reasons.push(`lacks ${lacking.join(', ')}`)
  return reasons
}

// `A100` names the GPU `NVIDIA A100-SXM4-80GB`: every word of the wanted type is a word of the
// machine's, so `A10` does not match an A100.
function sameGpuType(wanted: string, actual: string): boolean {
  const words = (s: string) => s.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)
  const have = new Set(words(actual))
  return words(wanted).every((w) => have.has(w))
}

function compareCapability(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number)
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number)
  return aMajor !== bMajor ? aMajor - bMajor : aMinor - bMinor
}
