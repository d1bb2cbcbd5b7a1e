import { stat } from 'node:fs/promises'
import { InvalidInputError } from '@assets/core'
import { BUILTIN_SCHEMAS, computeDigest, DATASET_FORMATS, type DatasetFormat, type DatasetReport, parseChecksum, validateDataset } from '@assets/datasets'
import { flagOption, stringOption, UsageError } from '../args.js'
import type { CommandContext } from '../context.js'
import { readDataFile } from '../data-file.js'

/**
 * Validates a dataset without registering it: exit 0 when valid, 1 when invalid (every issue
 * printed with its path and code), 2 when the arguments, schema or spec are unusable.
 */
export async function validate(ctx: CommandContext): Promise<number> {
  const path = ctx.positionals[0] ?? ''
  const v = ctx.values
  const format = stringOption(v, 'format')
  if (format !== undefined && !(DATASET_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${DATASET_FORMATS.join(', ')}, got ${JSON.stringify(format)}`)
  }
  const schemaOption = stringOption(v, 'schema')
  let report: DatasetReport
  try {
    const schema = schemaOption === undefined || schemaOption in BUILTIN_SCHEMAS ? schemaOption : await readDataFile(schemaOption, 'schema')
    const specPath = stringOption(v, 'spec')
    let declared: string | undefined
    if (specPath !== undefined) {
      const { parseSpec } = await import('@assets/core')
      declared = (parseSpec('dataset', await readDataFile(specPath, 'spec'), { source: specPath }) as { checksum?: string }).checksum
    }
    report = await validateDataset(path, {
      format: format as DatasetFormat | undefined,
      organism: stringOption(v, 'organism'),
      schema,
      valueChecks: flagOption(v, 'values'),
      signal: ctx.interrupt.signal(),
    })
    if (declared !== undefined) await checkDeclaredChecksum(report, declared, ctx.interrupt.signal())
  } catch (error) {
    // A schema, spec or option that cannot be used is a usage problem, not an invalid dataset.
    if (InvalidInputError.isInstance(error) || (error as { code?: string }).code === 'VALIDATION_FAILED') {
      throw new UsageError((error as Error).message)
    }
    throw error
  }
  ctx.out.result(report, () => describe(report))
  return report.valid ? 0 : 1
}

/**
 * The spec's checksum is checked as putDataset checks it (a file's sha256, a folder's manifest
 * digest): a mismatch makes the report invalid, so that what validates is what a put accepts.
 */
async function checkDeclaredChecksum(report: DatasetReport, declaredText: string, signal: AbortSignal): Promise<void> {
  const declared = parseChecksum(declaredText)
  const type = (await stat(report.path)).isDirectory() ? 'folder' : 'file'
  const actual = await computeDigest(report.path, type, signal)
  if (actual === declared) return
  report.errors.push({
    severity: 'error',
    code: 'CHECKSUM_MISMATCH',
    path: '',
    message: `the spec declares checksum ${declared}, but the ${type === 'folder' ? "folder's manifest digest" : "file's sha256"} is ${actual}: the ${type} is not the one the spec describes`,
  })
  report.valid = false
}

function describe(report: DatasetReport): string {
  const s = report.summary
  const shape = s.n_obs !== undefined ? `${s.n_obs} obs × ${s.n_vars} vars${s.x_encoding ? `, X ${s.x_encoding} ${s.x_dtype}` : ''}` : s.n_rows !== undefined ? `${s.n_rows} rows` : `${Object.keys(s.arrays ?? {}).length} arrays`
  const verdict = report.valid ? 'valid' : `invalid: ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}`
  const lines = [`${report.path} (${report.format}, ${shape}): ${verdict}`]
  for (const i of report.errors) lines.push(`  error   ${i.path || '(file)'}: ${i.message} [${i.code}]`)
  for (const i of report.warnings) lines.push(`  warning ${i.path || '(file)'}: ${i.message} [${i.code}]`)
  return lines.join('\n')
}
