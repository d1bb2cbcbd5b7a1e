import { stat } from 'node:fs/promises'
import { userInfo } from 'node:os'
import {
  type Actor, BaseAssetManager, IntegrityError, InvalidInputError, type ManagerParts, type PutOptions, type PutResult, stackOf, UnsupportedOperationError,
} from '@assets/core'
import { parseDatasetSpec } from './core-specs.js'
import { parseChecksum, verifyChecksum } from './dataset-checksum.js'
import { MODALITIES, type PutDatasetOptions } from './dataset-options.js'
import { assertUnchanged, sourceIdentity } from './source-identity.js'
import { assertValidDataset, type DatasetReport, resolveSchema, type ValidateDatasetOptions, validateDataset } from './validate-dataset.js'

export interface PutDatasetResult extends PutResult {
  report: DatasetReport
}

/**
 * An asset manager that knows datasets: `putDataset` validates the file or zarr store first
 * (structure, schema, organism, checksum) and registers it only when every check passes,
 * recording modality, organism, format and shape in metadata for `findAssets`.
 */
export class DatasetAssetManager extends BaseAssetManager {
  constructor(parts: ManagerParts, actor: Actor) {
    super(parts, actor)
  }

  override as(actor: Actor): DatasetAssetManager {
    return new DatasetAssetManager(this.parts, actor)
  }

  /** Datasets go through `putDataset`, which validates them first; a plain put would not. */
  override put(key: string, _localPath: string, _metadata?: Record<string, unknown>, _options?: PutOptions): Promise<PutResult> {
    return Promise.reject(new InvalidInputError(`dataset ${key}: use putDataset(key, path, {modality, …}), which validates the dataset before registering it`))
  }

  /** A dataset is validated from its bytes: one held elsewhere is fetched and put with putDataset. */
  override putReference(key: string, uri: string): Promise<PutResult> {
    return Promise.reject(new UnsupportedOperationError(`dataset ${key}: ${uri} cannot be registered by reference: a dataset is validated from a local copy; download it and use putDataset`))
  }

  /** Checks a dataset without registering it; see validateDataset. */
  validateDataset(path: string, options: ValidateDatasetOptions = {}): Promise<DatasetReport> {
    return validateDataset(path, options)
  }

  async putDataset(key: string, path: string, options: PutDatasetOptions): Promise<PutDatasetResult> {
    const { modality, organism, format, schema, spec, checksum, valueChecks, metadata, provenance, ...put } = options ?? ({} as PutDatasetOptions)
    if (!(MODALITIES as readonly string[]).includes(modality)) {
      throw new InvalidInputError(`modality must be one of ${MODALITIES.join(', ')}, got ${JSON.stringify(modality)}`)
    }
    if (provenance !== undefined && (typeof provenance !== 'object' || provenance === null || Array.isArray(provenance))) {
      throw new InvalidInputError('provenance must be an object (author, source, citations, doi …)')
    }
    const parsedSpec = spec === undefined ? undefined : (parseDatasetSpec(spec) as { checksum?: string })
    // A checksum in the spec is a declaration too; the option wins when both are given.
    const declaredText = checksum ?? parsedSpec?.checksum
    const declared = declaredText === undefined ? undefined : parseChecksum(declaredText)
    // Resolved once here so that the stored document is the checked one, not the caller's text.
    const declarative = schema === undefined ? undefined : typeof schema === 'string' && !schema.includes('\n') ? schema : resolveSchema(schema).schema
    put.onProgress?.({ phase: 'validate' })
    // The file is read by validation, by the checksum check (when one is declared) and by the
    // upload. Rather than one read, the put proves those reads saw the same bytes: the source's
    // identity (size, times, inode of each file) is taken before validation and must be the
    // same after the upload, before the version registers; a declared digest is also given to
    // the upload, which refuses other bytes. Either failure is an IntegrityError, unregistered.
    const type = (await stat(path).catch(() => undefined))?.isDirectory() ? 'folder' : 'file'
    const links = { followLinks: put.followLinks }
    const identity = await sourceIdentity(path, type, links).catch(() => undefined)
    const report = await validateDataset(path, { format, organism, schema: declarative, valueChecks, signal: put.signal })
    assertValidDataset(report)
    if (declared) await verifyChecksum(path, type, declared, put.signal, links)
    const recorded = {
      ...(metadata ?? {}),
      modality,
      format: report.format,
      ...(report.organism ? { organism: report.organism.taxon, organism_name: report.organism.name } : {}),
      ...summaryFields(report),
      ...(report.schemaIds.length > 0 ? { schema: report.schemaIds } : {}),
      ...(report.warnings.length > 0 ? { validation_warnings: report.warnings.map((w) => `${w.path || '(asset)'}: ${w.code}`) } : {}),
    }
    const result = await super.put(key, path, recorded, {
      ...put,
      kind: 'dataset',
      provenance,
      specs: parsedSpec,
      declarativeSchema: declarative,
      digest: declared,
      beforeRegister: async (content) => {
        await put.beforeRegister?.(content)
        if (identity === undefined) throw new IntegrityError(`dataset ${path} could not be identified before validation; nothing was registered`)
        await assertUnchanged(path, type, identity, links)
      },
    })
    return { ...result, report }
  }
}

function summaryFields(report: DatasetReport): Record<string, unknown> {
  const { format: _format, ...rest } = report.summary
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined))
}

/**
 * A DatasetAssetManager over an existing manager (same stack, same actor unless given), or
 * over the parts of a stack (acting as `actor`, default the OS user).
 */
export function createDatasetManager(source: ManagerParts | BaseAssetManager, actor?: Actor): DatasetAssetManager {
  const stack = stackOf(source, source instanceof BaseAssetManager ? actor : (actor ?? { user: userInfo().username }))
  return new DatasetAssetManager(stack.parts, stack.actor)
}
