import { stat } from 'node:fs/promises'
import { join, normalize, sep } from 'node:path'
import { type ModelSpec, parseSpec, type ValidationIssue, ValidationError } from '@assets/core'

export const MODEL_MODALITIES = ['statistical', 'ml', 'simulation'] as const
export type ModelModality = (typeof MODEL_MODALITIES)[number]

/** Runs a check that throws a ValidationError and hands back its issues under `prefix`. */
function collect<T>(prefix: string, issues: ValidationIssue[], run: () => T): T | undefined {
  try {
    return run()
  } catch (error) {
    if (!ValidationError.isInstance(error)) throw error
    issues.push(...error.issues.map((i) => ({ ...i, path: i.path ? `${prefix}/${i.path}` : prefix })))
    return undefined
  }
}

export function parseWithIssues<K extends 'model' | 'task' | 'machine'>(kind: K, value: unknown, path: string, issues: ValidationIssue[]) {
  return collect(path, issues, () => parseSpec(kind, value))
}

export function checkModality(modality: unknown, issues: ValidationIssue[]): ModelModality | undefined {
  if (typeof modality === 'string' && (MODEL_MODALITIES as readonly string[]).includes(modality)) return modality as ModelModality
  issues.push({
    code: modality === undefined ? 'MODALITY_REQUIRED' : 'INVALID_MODALITY',
    path: 'modality',
    message: `a model's modality must be one of ${MODEL_MODALITIES.join(', ')}${modality === undefined ? '' : `, not ${JSON.stringify(modality)}`}`,
  })
  return undefined
}

/**
 * What the schema alone cannot see in a model's compute needs: GPU details on a model that
 * does not use a GPU, or a multi-GPU model asking for one GPU.
 */
export function checkCompute(spec: ModelSpec, issues: ValidationIssue[]): void {
  const c = spec.compute
  if (!c) return
  const issue = (field: string, message: string) => issues.push({ code: 'RESOURCE_INCONSISTENT', path: `specs/compute/${field}`, message })
  if (!c.use_gpu) {
    for (const field of ['gpu_type', 'gpu_min_memory', 'gpu_features', 'gpu_compute_capability'] as const) {
      if (c[field] !== undefined) issue(field, `${field} is given but use_gpu is false`)
    }
    if ((c.gpu_count ?? 1) > 1) issue('gpu_count', `gpu_count is ${c.gpu_count} but use_gpu is false`)
    if (c.multi_gpu) issue('multi_gpu', 'multi_gpu is true but use_gpu is false')
  } else if (c.multi_gpu && (c.gpu_count ?? 1) < 2) {
    issue('gpu_count', `multi_gpu is true but gpu_count is ${c.gpu_count ?? 1}; a multi-GPU model needs at least 2`)
  }
}

/** For a model folder: each listed file (weights, config) must be in it. */
export async function checkRequiredFiles(source: string, files: unknown, issues: ValidationIssue[]): Promise<void> {
  if (files === undefined) return
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string' && f !== '')) {
    issues.push({ code: 'INVALID_FILE_LIST', path: 'requiredFiles', message: 'requiredFiles must be a list of relative paths' })
    return
  }
  const info = await stat(source)
  if (!info.isDirectory()) {
    issues.push({ code: 'NOT_A_FOLDER', path: 'requiredFiles', message: `requiredFiles needs a model folder, but ${source} is a file` })
    return
  }
  for (const file of files as string[]) {
    const rel = normalize(file)
    if (rel.startsWith('..') || rel.startsWith(sep) || rel.includes('\0')) {
      issues.push({ code: 'INVALID_FILE_LIST', path: `requiredFiles/${file}`, message: `${file} is not a path inside the folder` })
      continue
    }
    const found = await stat(join(source, rel)).catch(() => null)
    if (!found?.isFile()) issues.push({ code: 'MISSING_FILE', path: file, message: `the model folder has no file ${file}` })
  }
}
