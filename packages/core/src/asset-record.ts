import type { AccessControl } from './acl.js'
import type { ContentDigest, PinDigest } from './digest.js'

export const ASSET_KINDS = ['dataset', 'model', 'config', 'output', 'other'] as const
export type AssetKind = (typeof ASSET_KINDS)[number]

/** A typed edge from this version to the exact version of another asset it relates to. */
export interface Relationship {
  /** e.g. `derived_from`, `trained_on`, `evaluated_on`, `uses_config`, `produced_by`. */
  relation: string
  key: string
  version: string
}

export interface Provenance {
  author?: string
  authors?: string[]
  source?: string
  citations?: string[]
  doi?: string
  license?: string
  url?: string
  [field: string]: unknown
}

/** One file of a folder asset. Paths use `/`, relative to the folder, never `..`. */
export interface ManifestEntry {
  path: string
  size: number
  digest: ContentDigest
}

/** The content of a folder asset, itself stored as a JSON blob whose digest is the asset's. */
export interface FolderManifest {
  manifestVersion: 1
  files: ManifestEntry[]
}

/** One registered version of an asset: what the registry stores and `getMetadata` returns. */
export interface AssetRecord {
  key: string
  version: string
  kind: AssetKind
  /** A single file, or a folder (zarr store, model folder) described by a manifest. */
  type: 'file' | 'folder'
  /**
   * sha256 of the file, or of the folder's manifest JSON. A file registered by reference without
   * reading it holds a PinDigest until its first full read records the content's sha256.
   */
  digest: ContentDigest | PinDigest
  /** Bytes of the file, or the sum of the folder's files. */
  size: number
  /** Number of files: 1 for a file asset. */
  fileCount: number
  /** Storage location of the content (the blob, or the manifest blob). */
  location: string
  /**
   * The name `get` hands the content back under: the source's base name at put (`pbmc.h5ad`, a
   * folder's `pbmc.zarr`), or the one given. Absent on versions registered before names were
   * recorded; `fileNameOf` then derives one from the key.
   */
  fileName?: string
  description?: string
  metadata: Record<string, unknown>
  provenance?: Provenance
  specs?: unknown
  declarativeSchema?: unknown
  relationships: Relationship[]
  accessControl: AccessControl
  createdBy: string
  createdAt: string
  deletedAt?: string
  deletedBy?: string
  /** When set, `gc` removes this version after this time (temporary run outputs). */
  expiresAt?: string
}

export interface Annotation {
  key: string
  version: string
  text: string
  user: string
  createdAt: string
}

export interface AuditEntry {
  id: number
  at: string
  /** `user:<name>` of whoever did it. */
  actor: string
  action: string
  key?: string
  version?: string
  details?: Record<string, unknown>
}
