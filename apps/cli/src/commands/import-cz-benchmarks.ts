import { readFile } from 'node:fs/promises'
import { InvalidInputError } from '@assets/core'
import { flagOption, stringOption, UsageError } from '../args.js'
import type { CommandContext } from '../context.js'
import { type CatalogueFile, parseCatalogues } from '../import/cz-benchmarks-datasets.js'
import { type ImportReport, importCatalogue } from '../import/catalogue-import.js'
import { gitBlobSha1 } from '../import/git-blob.js'
import { withManager } from '../open-manager.js'

// Beyond any real catalogue (cz-benchmarks' is 8 KB), small enough to read whole.
const MAX_FILE_BYTES = 16 * 1024 * 1024

export async function importCzBenchmarks(ctx: CommandContext): Promise<number> {
  const v = ctx.values
  const commit = stringOption(v, 'source-commit')
  if (commit !== undefined && !/^[0-9a-f]{7,64}$/.test(commit)) throw new UsageError(`--source-commit must be a hex commit id, got ${JSON.stringify(commit)}`)
  const repository = stringOption(v, 'source-repo')
  if (repository !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9_.-]+$/.test(repository)) {
    throw new UsageError(`--source-repo must be owner/name, got ${JSON.stringify(repository)}`)
  }
  const endpoint = stringOption(v, 's3-endpoint') ?? nonEmpty(process.env.S3_ENDPOINT_URL)
  const files: CatalogueFile[] = []
  const blobs = new Map<string, string>()
  for (const path of ctx.positionals) {
    const bytes = await readFile(path).catch((cause: unknown) => {
      throw new InvalidInputError(`cannot read ${path}`, { cause })
    })
    if (bytes.length > MAX_FILE_BYTES) throw new InvalidInputError(`${path} is larger than ${MAX_FILE_BYTES} bytes: not a dataset catalogue`)
    files.push({ path, text: bytes.toString('utf8') })
    blobs.set(path, gitBlobSha1(bytes))
  }
  // Every file is read and checked before the catalogue is opened or a request made.
  const catalogue = parseCatalogues(files)
  const report = await withManager(ctx.globals, (manager) =>
    importCatalogue(manager, catalogue, {
      prefix: stringOption(v, 'prefix') ?? 'cz-benchmarks',
      hash: flagOption(v, 'hash'),
      endpoint,
      dryRun: flagOption(v, 'dry-run'),
      provenance: { repository, commit, blobs },
      signal: ctx.interrupt.signal(),
    }),
  )
  ctx.out.result({ files: files.map((f) => ({ path: f.path, blob: blobs.get(f.path) })), ...report }, () => describe(report))
  return report.refused > 0 ? 1 : 0
}

function describe(report: ImportReport): string {
  const lines = report.items.map((i) => {
    const what = i.status === 'changed' ? `changed ${i.previous} → ${i.version ?? '(new version)'}` : i.status === 'new' ? `new ${i.version ?? ''}` : i.status
    return `${i.status === 'refused' ? '!' : ' '} ${i.key}  ${what.trim()}${i.hashed ? '  hashed' : ''}${i.reason ? `  ${i.reason}` : ''}`
  })
  const dry = report.dryRun ? ' (dry run: nothing registered)' : ''
  lines.push(`${report.entries} entries: ${report.new} new, ${report.changed} changed, ${report.unchanged} unchanged, ${report.refused} refused${dry}`)
  return lines.join('\n')
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
