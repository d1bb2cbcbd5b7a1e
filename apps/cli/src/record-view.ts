import { type AccessControl, type AssetInfo, type AssetRecord, fileNameOf } from '@assets/core'
import { compactJson, fields, formatBytes, formatTime, shortDigest, table } from './output.js'

/** `datasets/pbmc3k@1.0.0` */
export function refOf(node: { key: string; version: string }): string {
  return `${node.key}@${node.version}`
}

export function describeAccess(acl: AccessControl): string {
  const list = (l: string[]) => (l.length === 0 ? '-' : l.join(', '))
  return `owner ${acl.owner}; read ${list(acl.read)}; write ${list(acl.write)}; admin ${list(acl.admin)}`
}

/** Everything `info` shows, one field a line. */
export function recordFields(record: AssetRecord | AssetInfo): string {
  const tags = 'tags' in record ? record.tags.join(', ') : undefined
  const metadata = Object.entries(record.metadata).map(([k, v]) => `${k}=${compactJson(v)}`)
  return fields([
    ['key', record.key],
    ['version', record.version],
    ['kind', record.kind],
    ['type', record.type === 'folder' ? `folder (${record.fileCount} files)` : 'file'],
    ['file name', fileNameOf(record) + (record.fileName === fileNameOf(record) ? '' : ' (from the key: no usable name was recorded)')],
    ['size', `${formatBytes(record.size)} (${record.size} bytes)`],
    ['digest', record.digest],
    ['tags', tags],
    ['description', record.description],
    ['created', `${formatTime(record.createdAt)} by ${record.createdBy}`],
    ['deleted', record.deletedAt ? `${formatTime(record.deletedAt)} by ${record.deletedBy ?? '?'}` : undefined],
    ['expires', record.expiresAt ? formatTime(record.expiresAt) : undefined],
    ['metadata', metadata.join('\n')],
    ['relations', record.relationships.map((r) => `${r.relation} → ${refOf(r)}`).join('\n')],
    ['provenance', record.provenance ? compactJson(record.provenance) : undefined],
    ['specs', record.specs === undefined ? undefined : compactJson(record.specs)],
    ['schema', record.declarativeSchema === undefined ? undefined : compactJson(record.declarativeSchema)],
    ['access', describeAccess(record.accessControl)],
  ])
}

/** One row a version, for `find` and `ls`. */
export function recordTable(records: AssetRecord[]): string {
  return table(
    ['KEY', 'VERSION', 'KIND', 'NAME', 'SIZE', 'CREATED', 'DESCRIPTION'],
    records.map((r) => [
      r.key,
      r.version + (r.deletedAt ? ' (deleted)' : ''),
      r.kind,
      fileNameOf(r),
      formatBytes(r.size),
      formatTime(r.createdAt),
      r.description ?? '',
    ]),
  )
}

export { shortDigest }
