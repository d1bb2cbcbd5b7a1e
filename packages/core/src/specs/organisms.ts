// The organisms cz-benchmarks knows (its Organism enum), with the Ensembl-style prefix its gene
// ids carry and the NCBI taxonomy id that specs store. Kept as code, not a data file, so that
// core stays a plain ESM package with nothing to locate at run time.

export interface Organism {
  /** cz-benchmarks' enum member, e.g. `HUMAN`. */
  enum: string
  /** Binomial name in snake case, e.g. `homo_sapiens`. */
  name: string
  /** What every gene id starts with (`ENSG`); undefined when ids share no prefix. */
  genePrefix: string | undefined
  /** `NCBITaxon:9606`: the form specs store. */
  taxon: string
  /** C = confirmed by the CELLxGENE schema tables, S = seen in other public code, ? = unconfirmed. */
  taxonSource: 'C' | 'S' | '?'
}

// enum, name, gene prefix, NCBI taxon id, source of the taxon id
const TABLE: ReadonlyArray<readonly [string, string, string, number, 'C' | 'S' | '?']> = [
  ['HUMAN', 'homo_sapiens', 'ENSG', 9606, 'C'],
  ['MOUSE', 'mus_musculus', 'ENSMUSG', 10090, 'C'],
  ['TROPICAL_CLAWED_FROG', 'xenopus_tropicalis', 'ENSXETG', 8364, 'S'],
  ['AFRICAN_CLAWED_FROG', 'xenopus_laevis', 'ENSXLAG', 8355, 'S'],
  ['ZEBRAFISH', 'danio_rerio', 'ENSDARG', 7955, 'C'],
  ['MOUSE_LEMUR', 'microcebus_murinus', 'ENSMICG', 30608, 'C'],
  ['WILD_BOAR', 'sus_scrofa', 'ENSSSCG', 9823, 'C'],
  ['CRAB_EATING_MACAQUE', 'macaca_fascicularis', 'ENSMFAG', 9541, 'C'],
  ['RHESUS_MACAQUE', 'macaca_mulatta', 'ENSMMUG', 9544, 'C'],
  ['PLATYPUS', 'ornithorhynchus_anatinus', 'ENSOANG', 9258, 'S'],
  ['OPOSSUM', 'monodelphis_domestica', 'ENSMODG', 13616, 'S'],
  ['GORILLA', 'gorilla_gorilla', 'ENSGGOG', 9595, 'C'],
  ['CHIMPANZEE', 'pan_troglodytes', 'ENSPTRG', 9598, 'C'],
  ['MARMOSET', 'callithrix_jacchus', 'ENSCJAG', 9483, 'C'],
  ['CHICKEN', 'gallus_gallus', 'ENSGALG', 9031, 'S'],
  ['RABBIT', 'oryctolagus_cuniculus', 'ENSOCUG', 9986, 'C'],
  ['FRUIT_FLY', 'drosophila_melanogaster', 'FBgn', 7227, 'C'],
  ['RAT', 'rattus_norvegicus', 'ENSRNOG', 10116, 'C'],
  ['NAKED_MOLE_RAT', 'heterocephalus_glaber', 'ENSHGLG', 10181, 'S'],
  ['CAENORHABDITIS_ELEGANS', 'caenorhabditis_elegans', 'WBGene', 6239, 'C'],
  ['YEAST', 'saccharomyces_cerevisiae', '', 4932, 'S'],
  ['MALARIA_PARASITE', 'plasmodium_falciparum', 'PF3D7', 5833, 'S'],
  ['SEA_LAMPREY', 'petromyzon_marinus', 'ENSPMAG', 7757, '?'],
  ['FRESHWATER_SPONGE', 'spongilla_lacustris', 'ENSLPGG', 6055, '?'],
  ['CORAL', 'stylophora_pistillata', 'LOC', 50429, '?'],
  ['SEA_URCHIN', 'lytechinus_variegatus', '', 7654, '?'],
]

const ORGANISMS: readonly Organism[] = TABLE.map(([enumName, name, prefix, taxon, source]) =>
  Object.freeze({ enum: enumName, name, genePrefix: prefix === '' ? undefined : prefix, taxon: `NCBITaxon:${taxon}`, taxonSource: source }),
)

// Every accepted spelling, folded: `human`, `homo_sapiens`, `homo sapiens`, `ncbitaxon:9606`.
const BY_SPELLING = new Map<string, Organism>()
for (const o of ORGANISMS) {
  BY_SPELLING.set(o.enum.toLowerCase(), o)
  BY_SPELLING.set(o.name, o)
  BY_SPELLING.set(o.taxon.toLowerCase(), o)
}

/**
 * The organism an enum name (`HUMAN`, `Organism.HUMAN`), binomial name (`homo_sapiens`, `Homo sapiens`) or taxon
 * id (`NCBITaxon:9606`) stands for, case-insensitively; undefined when it is none of the known ones.
 */
export function normalizeOrganism(input: unknown): Organism | undefined {
  if (typeof input !== 'string') return undefined
  // `Organism.HUMAN` is how cz-benchmarks' Python code and configs name an enum member.
  const folded = input
    .trim()
    .toLowerCase()
    .replace(/^organism\./, '')
    .replace(/[\s-]+/g, '_')
  return BY_SPELLING.get(folded) ?? BY_SPELLING.get(folded.replace(/^ncbitaxon_/, 'ncbitaxon:'))
}

/** Every known organism, in cz-benchmarks' enum order. */
export function listOrganisms(): readonly Organism[] {
  return ORGANISMS
}
