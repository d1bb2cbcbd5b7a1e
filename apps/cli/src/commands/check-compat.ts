import {
  AssetError,
  type CompatibilityIssue,
  checkCompatibility,
  isCompatible,
  loadSpecFile,
  type SpecKind,
  ValidationError,
  type ValidationIssue,
} from '@assets/core'
import { stringOption, UsageError } from '../args.js'
import type { CommandContext } from '../context.js'
import { reportError, table } from '../output.js'

const EXIT_COMPATIBLE = 0
const EXIT_INCOMPATIBLE = 1
const EXIT_BAD_INPUT = 2

type SpecOption = 'dataset' | 'model' | 'task' | 'machine'
const OPTIONS: readonly SpecOption[] = ['dataset', 'model', 'task', 'machine']

/**
 * Exit 0 when the specs fit together (warnings allowed), 1 when some issue is an error, 2 when a
 * spec file is missing or invalid: a script can tell "fix the combination" from "fix the file".
 */
export async function checkCompat(ctx: CommandContext): Promise<number> {
  const paths = Object.fromEntries(OPTIONS.map((o) => [o, stringOption(ctx.values, o)])) as Record<SpecOption, string | undefined>
  const absent = (['dataset', 'model'] as const).filter((o) => paths[o] === undefined)
  if (absent.length > 0) throw new UsageError(`${absent.map((o) => `--${o}`).join(' and ')} ${absent.length === 1 ? 'is' : 'are'} required`)

  let specs: Awaited<ReturnType<typeof loadAll>>
  try {
    specs = await loadAll(paths)
  } catch (error) {
    if (!AssetError.isInstance(error)) throw error
    reportError(ctx.out.streams.stderr, error, ctx.globals)
    return EXIT_BAD_INPUT
  }
  const { dataset, model, task, machine } = specs
  const issues = checkCompatibility(dataset, model, task, { machine })
  const compatible = isCompatible(issues)
  const errors = issues.filter((i) => i.severity === 'error').length
  const doc = {
    compatible,
    errors,
    warnings: issues.length - errors,
    dataset: dataset.name,
    model: model.name,
    task: task?.name ?? null,
    machineChecked: machine !== undefined,
    issues,
  }
  ctx.out.result(doc, () => humanReport(doc, issues))
  return compatible ? EXIT_COMPATIBLE : EXIT_INCOMPATIBLE
}

async function loadAll(paths: Record<SpecOption, string | undefined>) {
  const load = <K extends SpecKind>(kind: K, path: string | undefined) => (path === undefined ? Promise.resolve(undefined) : loadSpecFile(kind, path))
  const settled = await Promise.allSettled([
    load('dataset', paths.dataset),
    load('model', paths.model),
    load('task', paths.task),
    load('machine', paths.machine),
  ])
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ option: OPTIONS[i]!, error: s.reason as unknown }] : []))
  if (failures.length === 1) throw failures[0]!.error
  if (failures.length > 1) throw combined(failures, paths)
  const value = <T>(s: PromiseSettledResult<T>) => (s as PromiseFulfilledResult<T>).value
  const [dataset, model, task, machine] = settled
  return { dataset: value(dataset!)!, model: value(model!)!, task: value(task!), machine: value(machine!) }
}

// Several bad files are reported together, each problem's path led by the option that named
// its file (`dataset:specs/0/semantic`), so that one run shows everything to fix.
function combined(failures: Array<{ option: SpecOption; error: unknown }>, paths: Record<SpecOption, string | undefined>): ValidationError {
  const issues: ValidationIssue[] = []
  for (const { option, error } of failures) {
    if (!AssetError.isInstance(error)) throw error
    if (ValidationError.isInstance(error)) {
      for (const i of error.issues) issues.push({ ...i, path: i.path === '' ? option : `${option}:${i.path}` })
    } else issues.push({ code: error.code, path: option, message: error.message })
  }
  const files = failures.map(({ option }) => `--${option} ${paths[option]}`).join(', ')
  return new ValidationError(`${failures.length} spec files are invalid (${files})`, issues)
}

function humanReport(doc: { compatible: boolean; errors: number; warnings: number; dataset: string; model: string; task: string | null }, issues: CompatibilityIssue[]): string {
  const what = `dataset "${doc.dataset}", model "${doc.model}"${doc.task === null ? '' : `, task "${doc.task}"`}`
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  if (issues.length === 0) return `compatible: ${what}`
  const rows = issues.map((i) => [i.severity, i.who, i.code, i.message])
  const summary = doc.compatible
    ? `compatible with ${count(doc.warnings, 'warning')}: ${what}`
    : `incompatible (${count(doc.errors, 'error')}, ${count(doc.warnings, 'warning')}): ${what}`
  return `${table(['SEVERITY', 'WHO', 'CODE', 'MESSAGE'], rows)}\n\n${summary}`
}
