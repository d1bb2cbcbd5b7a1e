import { stat } from 'node:fs/promises'
import { loadSpecFile, type PutOptions, type PutProgress } from '@assets/core'
import { flagOption, listOption, stringOption, UsageError } from '../args.js'
import { ASSET_KIND_NAMES } from '../command-specs.js'
import { type CommandContext, progressFor } from '../context.js'
import { readDataFile, readDataObject } from '../data-file.js'
import { withManager } from '../open-manager.js'
import { formatBytes } from '../output.js'
import { applyMetadata, parseExpiry, parseRelation } from '../put-inputs.js'
import { refOf, shortDigest } from '../record-view.js'

const PHASES: Record<PutProgress['phase'], string> = { validate: 'checking…', upload: '', register: 'registering…', done: '' }

export async function put(ctx: CommandContext): Promise<number> {
  const [key = '', source = ''] = ctx.positionals
  const v = ctx.values
  const kind = stringOption(v, 'kind')
  if (kind !== undefined && !ASSET_KIND_NAMES.includes(kind)) {
    throw new UsageError(`--kind must be one of ${ASSET_KIND_NAMES.join(', ')}, got ${JSON.stringify(kind)}`)
  }
  // Argument mistakes first, before any file is read or the catalogue opened.
  const assignments = listOption(v, 'meta')
  applyMetadata({}, assignments)
  const relationships = listOption(v, 'relate').map(parseRelation)
  const expires = stringOption(v, 'expires')
  const expiresAt = expires === undefined ? undefined : parseExpiry(expires)

  const metaFile = stringOption(v, 'meta-file')
  const metadata = applyMetadata(metaFile ? await readDataObject(metaFile, 'meta-file') : {}, assignments)
  const optional = async (option: string) => {
    const path = stringOption(v, option)
    return path === undefined ? undefined : readDataFile(path, option)
  }
  const provenancePath = stringOption(v, 'provenance')
  const specPath = stringOption(v, 'spec')
  // Dataset and model specs are checked (every problem at once) before anything is stored.
  const specs =
    specPath !== undefined && (kind === 'dataset' || kind === 'model') ? await loadSpecFile(kind, specPath) : await optional('spec')
  const options: PutOptions = {
    version: stringOption(v, 'version'),
    fileName: stringOption(v, 'name'),
    kind: kind as PutOptions['kind'],
    description: stringOption(v, 'description'),
    specs,
    declarativeSchema: await optional('schema'),
    provenance: provenancePath === undefined ? undefined : await readDataObject(provenancePath, 'provenance'),
    relationships,
    tags: listOption(v, 'tag'),
    expiresAt,
    accessControl: flagOption(v, 'private') ? { read: [], write: [], admin: [] } : undefined,
    followLinks: flagOption(v, 'follow-links'),
  }

  const result = await withManager(ctx.globals, async (manager) => {
    const progress = progressFor(ctx, `put ${key}`)
    // Storage reports bytes; the size of a file source gives the bar its end.
    const size = await stat(source).then((s) => (s.isFile() ? s.size : undefined), () => undefined)
    const onProgress = (p: PutProgress) => {
      if (p.phase === 'upload') progress.update({ bytes: p.bytes, total: p.total ?? size })
      progress.setPhase(PHASES[p.phase])
    }
    try {
      return await manager.put(key, source, metadata, { ...options, signal: ctx.interrupt.signal(), onProgress })
    } finally {
      progress.finish()
    }
  })
  ctx.out.result(result, () => {
    const what = result.created ? 'stored' : 'unchanged'
    return `${what} ${refOf(result)}  ${result.kind}  ${formatBytes(result.size)}  ${shortDigest(result.digest)}`
  })
  return 0
}
