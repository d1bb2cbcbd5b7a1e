import type { PutOptions, Provenance } from '@assets/core'
import type { DatasetFormat } from './detect-format.js'

export const MODALITIES = ['rna', 'dna', 'protein', 'metabolite', 'clinical', 'environmental'] as const
export type Modality = (typeof MODALITIES)[number]

// `digest` is the core put's name for what a dataset declares as `checksum` (or in its spec).
export interface PutDatasetOptions extends Omit<PutOptions, 'kind' | 'specs' | 'declarativeSchema' | 'digest'> {
  /** What was measured. */
  modality: Modality
  /** Name (homo_sapiens), enum (HUMAN) or NCBITaxon:<id>; recorded as its taxon id. */
  organism?: string
  /** Detected from the path when absent. */
  format?: DatasetFormat
  /** A built-in schema name (`cellxgene-7.0`), a declarative schema document or its YAML/JSON text. */
  schema?: unknown
  /** A dataset spec, checked with core's parseSpec('dataset', …) and stored with the version. */
  spec?: unknown
  /** Author, source, citations, DOI, license. */
  provenance?: Provenance
  /** `sha256:<hex>` the content must have: a mismatch stores nothing (IntegrityError). */
  checksum?: string
  /** Also read every matrix value (slow on large files): integers, NaN/±inf, zeros. Default false. */
  valueChecks?: boolean
  /** Free metadata, merged under the recorded dataset fields. */
  metadata?: Record<string, unknown>
}
