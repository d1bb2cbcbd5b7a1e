import {
  type Actor,
  type AssetRecord,
  blobLocation,
  defaultAccessControl,
  isSuperuser,
  principalsOf,
  type ReadScope,
  sha256,
} from '@assets/core'

/** Who owns what the suites register unless a test says otherwise. */
export const SUITE_OWNER: Actor = { user: 'suite-owner' }

/** The digest, size and content-addressed location of some bytes. */
export function contentOf(bytes: string): Pick<AssetRecord, 'digest' | 'size' | 'location'> {
  const digest = sha256(bytes)
  return { digest, size: Buffer.byteLength(bytes), location: blobLocation(digest) }
}

/**
 * A complete, valid record of a file asset whose content is unique to key and version, owned
 * by SUITE_OWNER and readable by everyone; `overrides` replace any field.
 */
export function makeRecord(key: string, version: string, overrides: Partial<AssetRecord> = {}): AssetRecord {
  return {
    key,
    version,
    kind: 'dataset',
    type: 'file',
    ...contentOf(`${key}@${version}`),
    fileCount: 1,
    metadata: {},
    relationships: [],
    accessControl: defaultAccessControl(SUITE_OWNER),
    createdBy: `user:${SUITE_OWNER.user}`,
    createdAt: new Date().toISOString(),
    ...overrides,
  }
}

/** What a registry filters by for this actor, as the manager builds it. */
export function scopeOf(actor: Actor): ReadScope {
  return { principals: principalsOf(actor), superuser: isSuperuser(actor) }
}

export const SUPERUSER_SCOPE: ReadScope = scopeOf({ user: 'suite-admin', roles: ['admin'] })
