import { type Actor, can, compareVersions, type Registry, type Relationship, type ValidationIssue, validateKey } from '@assets/core'
import { parseRange, satisfies } from './version-range.js'

/** The relation recorded from a config to each config version it requires. */
export const REQUIRES_RELATION = 'requires'

export interface ResolvedRequires {
  relationships: Relationship[]
  issues: ValidationIssue[]
}

function issue(code: string, name: string, message: string): ValidationIssue {
  return { code, path: `requires/${name}`, message }
}

/**
 * Resolves `{other-config: "^1.2"}` to the highest registered, readable, not deleted config
 * version in each range. Every dependency that does not resolve is an issue; none is skipped.
 */
export async function resolveRequires(registry: Registry, actor: Actor, key: string, requires: Record<string, unknown>): Promise<ResolvedRequires> {
  const relationships: Relationship[] = []
  const issues: ValidationIssue[] = []
  for (const [name, rangeText] of Object.entries(requires)) {
    try {
      validateKey(name)
    } catch (error) {
      issues.push(issue('INVALID_DEPENDENCY', name, error instanceof Error ? error.message : String(error)))
      continue
    }
    if (name === key) {
      issues.push(issue('SELF_DEPENDENCY', name, 'a config cannot require another version of itself'))
      continue
    }
    let range: ReturnType<typeof parseRange>
    try {
      range = parseRange(rangeText)
    } catch (error) {
      issues.push(issue('INVALID_RANGE', name, error instanceof Error ? error.message : String(error)))
      continue
    }
    const versions = (await registry.listVersions(name)).filter((r) => can(actor, r.accessControl, 'read'))
    if (versions.length === 0) {
      issues.push(issue('UNRESOLVED_DEPENDENCY', name, `requires ${name} ${range.raw}, but no version of ${name} is registered (or readable by user "${actor.user}")`))
      continue
    }
    const configs = versions.filter((r) => r.kind === 'config')
    if (configs.length === 0) {
      issues.push(issue('NOT_A_CONFIG', name, `requires ${name} ${range.raw}, but ${name} is a ${versions[0]!.kind}, not a config`))
      continue
    }
    const match = configs
      .filter((r) => satisfies(r.version, range))
      .sort((a, b) => compareVersions(b.version, a.version))[0]
    if (!match) {
      const known = configs.map((r) => r.version).sort(compareVersions).join(', ')
      issues.push(issue('UNRESOLVED_DEPENDENCY', name, `requires ${name} ${range.raw}, but no registered version satisfies it (registered: ${known})`))
      continue
    }
    relationships.push({ relation: REQUIRES_RELATION, key: name, version: match.version })
  }
  return { relationships, issues }
}
