import type { AssetKind, AssetRecord, Relationship, ValidationIssue } from '@assets/core'

/** An asset of a run: `key`, `key@1.2.0`, `key@production`, or `{key, version}` (a version, tag or `latest`). */
export type AssetRef = string | { key: string; version?: string }

/** The exact inputs of the run that produced an output; tags and `latest` are resolved at put time. */
export interface RunLinks {
  dataset?: AssetRef | AssetRef[]
  model?: AssetRef | AssetRef[]
  config?: AssetRef | AssetRef[]
}

/** The relation recorded for each kind of run input. */
export const RUN_RELATIONS = { dataset: 'evaluated_on', model: 'produced_by', config: 'uses_config' } as const satisfies Record<keyof RunLinks, string>

export function parseRef(ref: AssetRef): { key: string; ref: string } {
  if (typeof ref !== 'string') return { key: ref.key, ref: ref.version ?? 'latest' }
  const at = ref.lastIndexOf('@')
  return at > 0 ? { key: ref.slice(0, at), ref: ref.slice(at + 1) } : { key: ref, ref: 'latest' }
}

export function refsOf(links: RunLinks): Array<{ role: keyof RunLinks; key: string; ref: string }> {
  return (Object.keys(RUN_RELATIONS) as Array<keyof RunLinks>).flatMap((role) => {
    const given = links[role]
    if (given === undefined) return []
    return (Array.isArray(given) ? given : [given]).map((r) => ({ role, ...parseRef(r) }))
  })
}

/** A run link must point at an asset of its kind: a model link at a model, and so on. */
export function linkRelationship(role: keyof RunLinks, record: AssetRecord): { relationship?: Relationship; issue?: ValidationIssue } {
  const kind: AssetKind = role
  if (record.kind !== kind) {
    return { issue: { code: 'RUN_LINK_KIND', path: `run/${role}`, message: `${record.key}@${record.version} is a ${record.kind}, not a ${kind}` } }
  }
  return { relationship: { relation: RUN_RELATIONS[role], key: record.key, version: record.version } }
}
