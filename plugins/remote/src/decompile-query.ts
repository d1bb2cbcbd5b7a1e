import { type AssetQuery, type CompiledQuery, encodeCursor, type FieldCondition, type SortField } from '@assets/core'

/**
 * The query a compiled one came from, to send to the server, which compiles and checks it
 * again itself: the client's compilation is never trusted as SQL input.
 */
export function decompileQuery(compiled: CompiledQuery): AssetQuery {
  // No prototype: a metadata field named __proto__ is a field like any other.
  const where: Record<string, Record<string, unknown>> = Object.create(null)
  for (const clause of compiled.clauses) {
    const path = clause.path.join('.')
    where[path] = { ...where[path], [clause.op]: clause.value }
  }
  const sortField: SortField = compiled.sort.field === 'metadata' ? `metadata.${(compiled.sort.path ?? []).join('.')}` : compiled.sort.field
  return {
    ...(compiled.clauses.length > 0 ? { where: where as Record<string, FieldCondition> } : {}),
    ...(compiled.kinds ? { kind: compiled.kinds } : {}),
    ...(compiled.tag !== undefined ? { tag: compiled.tag } : {}),
    ...(compiled.text !== undefined ? { text: compiled.text } : {}),
    ...(compiled.keyPrefix !== undefined ? { keyPrefix: compiled.keyPrefix } : {}),
    ...(compiled.createdAfter !== undefined ? { createdAfter: compiled.createdAfter } : {}),
    ...(compiled.createdBefore !== undefined ? { createdBefore: compiled.createdBefore } : {}),
    allVersions: compiled.allVersions,
    includeDeleted: compiled.includeDeleted,
    sort: { field: sortField, order: compiled.sort.order },
    limit: compiled.limit,
    ...(compiled.offset > 0 ? { cursor: encodeCursor(compiled.offset) } : {}),
  }
}
