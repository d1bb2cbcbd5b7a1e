import { describe, expect, it } from 'vitest'
import { listOrganisms, normalizeOrganism, parseSpec, ValidationError } from '../src/index.js'

describe('normalizeOrganism', () => {
  it.each(['homo_sapiens', 'HUMAN', 'NCBITaxon:9606', 'Homo sapiens', 'human', 'HOMO_SAPIENS', 'ncbitaxon:9606', '  Human  ', 'Organism.HUMAN'])(
    'reads %j as the human taxon',
    (input) => {
      expect(normalizeOrganism(input)).toEqual({ enum: 'HUMAN', name: 'homo_sapiens', genePrefix: 'ENSG', taxon: 'NCBITaxon:9606', taxonSource: 'C' })
    },
  )

  it('knows the gene prefix the dataset checks use, and says when there is none', () => {
    expect(normalizeOrganism('MOUSE')?.genePrefix).toBe('ENSMUSG')
    expect(normalizeOrganism('drosophila_melanogaster')?.genePrefix).toBe('FBgn')
    expect(normalizeOrganism('caenorhabditis_elegans')?.genePrefix).toBe('WBGene')
    expect(normalizeOrganism('NCBITaxon:4932')).toMatchObject({ enum: 'YEAST', genePrefix: undefined })
  })

  it('returns undefined for anything else', () => {
    for (const input of ['martian', 'NCBITaxon:1', '9606', '', 'homo', 42, null, undefined]) expect(normalizeOrganism(input)).toBeUndefined()
  })

  it('lists the 26 organisms of cz-benchmarks, each with a distinct enum, name and taxon', () => {
    const all = listOrganisms()
    expect(all).toHaveLength(26)
    for (const field of ['enum', 'name', 'taxon'] as const) expect(new Set(all.map((o) => o[field])).size).toBe(26)
    for (const o of all) expect(o.taxon).toMatch(/^NCBITaxon:\d+$/)
    expect(all.filter((o) => o.genePrefix === undefined).map((o) => o.enum)).toEqual(['YEAST', 'SEA_URCHIN'])
  })
})

describe('organisms in specs', () => {
  const io = (organism: string) => ({ name: 'x', modality: 'rna', semantic: 'GO:0008150', organism })

  it('are stored as NCBITaxon ids whichever spelling was given', () => {
    expect(parseSpec('io', io('mus_musculus')).organism).toBe('NCBITaxon:10090')
    expect(parseSpec('io', io('ZEBRAFISH')).organism).toBe('NCBITaxon:7955')
    expect(parseSpec('io', io('NCBITaxon:10116')).organism).toBe('NCBITaxon:10116')
    const task = parseSpec('task', {
      name: 't',
      goal: 'custom',
      input_schema: io('rat'),
      prediction_schema: io('RAT'),
      reference_schema: io('rattus_norvegicus'),
      metrics: [{ name: 'm', category: 'c', impl: 'a:b', inputs: [io('Rattus norvegicus')] }],
      context: { organism: 'rat' },
    })
    expect([task.input_schema, task.prediction_schema, task.reference_schema, task.metrics[0]!.inputs[0]!, task.context!].map((s) => s.organism)).toEqual(
      Array(5).fill('NCBITaxon:10116'),
    )
  })

  it('stay optional', () => {
    expect(parseSpec('io', { name: 'x', modality: 'rna', semantic: 'GO:0008150' }).organism).toBeUndefined()
  })

  it('an unknown one is UNKNOWN_ORGANISM at its path, with a suggestion for a near miss', () => {
    try {
      parseSpec('dataset', { name: 'd', specs: [io('GO:0008150'), { ...io('homo_sapien'), semantic: 'GO:0000001' }] })
      expect.unreachable()
    } catch (error) {
      expect(ValidationError.isInstance(error)).toBe(true)
      const issues = (error as ValidationError).issues
      expect(issues.map((i) => `${i.path} ${i.code}`)).toEqual(['specs/0/organism UNKNOWN_ORGANISM', 'specs/1/organism UNKNOWN_ORGANISM'])
      expect(issues[1]!.message).toContain('did you mean "homo_sapiens"?')
    }
  })
})
