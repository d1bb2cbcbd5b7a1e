// The records are core's own types (erased at build: nothing of core's code reaches the bundle).
import type {
  AccessControl,
  Annotation,
  AssetInfo,
  AssetKind,
  AssetRecord,
  AuditEntry,
  CompatibilityIssue,
  LineageEdge,
  LineageResult,
  Provenance,
  QueryPage,
  Relationship,
  SchemaIssue,
} from '@assets/core'
import type { paths } from './schema'

/**
 * Our names for what the server answers. Most routes declare no response schema, so the
 * generated `paths` type their answers as nothing: those are cast here, once, to the types of
 * @assets/core (AssetRecord, QueryPage, LineageResult …) that the server returns, and nowhere else.
 */
export type Actor = paths['/v1/whoami']['get']['responses'][200]['content']['application/json']

export type { AccessControl, Annotation, AssetInfo, AssetKind, AssetRecord, AuditEntry, LineageEdge, LineageResult, Provenance, QueryPage, Relationship, SchemaIssue }
export const ASSET_KINDS: readonly AssetKind[] = ['dataset', 'model', 'config', 'output', 'other']

export interface VersionRef {
  key: string
  version: string
}

export interface CompatResult {
  compatible: boolean
  errors: number
  warnings: number
  dataset: VersionRef
  model: VersionRef
  task: VersionRef | null
  issues: CompatibilityIssue[]
}

/** `POST /v1/validate/<key>`: the report of `assets validate` on a registered version. */
export interface ValidationReport {
  key: string
  version: string
  format: string
  valid: boolean
  errors: SchemaIssue[]
  warnings: SchemaIssue[]
  /** What the structure showed (@assets/datasets' DatasetSummary). */
  summary: { n_obs?: number; n_vars?: number; n_rows?: number; x_encoding?: string; x_dtype?: string; [field: string]: unknown }
  schemaIds: string[]
}

/** The one place an untyped answer becomes one of ours. */
export const as = {
  page: (data: unknown) => data as QueryPage,
  info: (data: unknown) => data as AssetInfo,
  records: (data: unknown) => data as AssetRecord[],
  tags: (data: unknown) => data as Record<string, string>,
  acl: (data: unknown) => data as AccessControl,
  annotations: (data: unknown) => data as Annotation[],
  annotation: (data: unknown) => data as Annotation,
  lineage: (data: unknown) => data as LineageResult,
  audit: (data: unknown) => data as AuditEntry[],
  compat: (data: unknown) => data as CompatResult,
  actor: (data: unknown) => data as Actor,
  validation: (data: unknown) => data as ValidationReport,
}
