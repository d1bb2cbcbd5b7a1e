import type { InputOutputSpec } from './io-spec-schema.js'

// A spec read by parseSpec has every default filled in; these fall back to the same defaults so
// that a spec built by hand in code keys the same way.
const DEFAULT_FORMAT = 'h5ad'
const DEFAULT_VERSION = '1.0.0'

type Keyed = Pick<InputOutputSpec, 'modality' | 'semantic' | 'version' | 'formats'>

/** `format:modality:semantic:version` with the preferred (first) format: a spec's identity. */
export function specKey(spec: Keyed): string {
  return `${specFormats(spec)[0]}:${matchKey(spec)}`
}

/**
 * `modality:semantic:version`: what two specs must share to be the same slot of data. Formats
 * are left out so that a slot stored as zarr still meets a model that reads h5ad: the checker
 * then compares formats and reports FORMAT_MISMATCH instead of a missing slot.
 */
export function matchKey(spec: Keyed): string {
  return `${spec.modality}:${spec.semantic}:${spec.version ?? DEFAULT_VERSION}`
}

/** The formats in order of preference, defaulted. */
export function specFormats(spec: Pick<InputOutputSpec, 'formats'>): string[] {
  return spec.formats !== undefined && spec.formats.length > 0 ? spec.formats : [DEFAULT_FORMAT]
}
