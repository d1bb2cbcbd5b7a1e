import type { AssetKind } from '../asset-record.js'

export interface ValidatorContext {
  /** Local path of the file or folder about to be registered. */
  path: string
  type: 'file' | 'folder'
  key: string
  kind: AssetKind
  metadata: Record<string, unknown>
  specs?: unknown
  declarativeSchema?: unknown
}

/** Throws a ValidationError listing every issue; returning means the asset is acceptable. */
export type Validator = (context: ValidatorContext) => void | Promise<void>
