import { InvalidInputError, normalizeOrganism, type Organism, parseSpec } from '@assets/core'

export type OrganismInfo = Organism

/** The organism a name, enum or `NCBITaxon:<id>` stands for; unknown names are refused. */
export function resolveOrganism(input: string): OrganismInfo {
  const organism = normalizeOrganism(input)
  if (!organism) {
    throw new InvalidInputError(`unknown organism ${JSON.stringify(input)}: use a name (homo_sapiens), an enum (HUMAN) or NCBITaxon:<id>`)
  }
  return organism
}

/** A dataset spec checked by core's parseSpec, which throws a ValidationError listing problems. */
export function parseDatasetSpec(spec: unknown, source?: string): unknown {
  return parseSpec('dataset', spec, { source })
}
