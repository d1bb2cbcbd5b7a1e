// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Hydra's ${…} interpolations, written into YAML text on purpose
import { readFile } from 'node:fs/promises'
import { listOrganisms } from '@assets/core'
import { describe, expect, it } from 'vitest'
import { parseCatalogues } from '../src/import/cz-benchmarks-datasets.js'
import { gitBlobSha1 } from '../src/import/git-blob.js'

// The parsing and mapping of cz-benchmarks' catalogue, without any S3: the real file (see
// fixtures/cz-benchmarks/SOURCE.md) and hostile variants of it. The import itself, against a
// local S3 server, is tested in tests/cli-backends/test/cz-benchmarks-import.test.ts.
const REAL = new URL('./fixtures/cz-benchmarks/datasets.yaml', import.meta.url)
const real = async () => ({ path: 'datasets.yaml', text: await readFile(REAL, 'utf8') })
const entry = (body: string, name = 'x') => ({ path: 'extra.yaml', text: `datasets:\n  ${name}:\n${body.replace(/^/gm, '    ')}\n` })
const LABELED = '_target_: czbenchmarks.datasets.SingleCellLabeledDataset\n'

describe('the real datasets.yaml', () => {
  it('is the blob the fixture note names', async () => {
    expect(gitBlobSha1(await readFile(REAL))).toBe('64a3b9f85290310e6adde57bd9326c72df7c8351')
  })

  it('maps its 38 entries: organism, kind, layout version and parameters', async () => {
    const { entries, refused } = parseCatalogues([await real()])
    expect(refused).toEqual([])
    expect(entries).toHaveLength(38)
    const byName = new Map(entries.map((e) => [e.name, e]))
    expect(byName.get('replogle_k562_essential_perturbpredict')?.metadata).toEqual({
      organism: 'NCBITaxon:9606',
      organism_name: 'homo_sapiens',
      gene_id_prefix: 'ENSG',
      dataset_kind: 'single_cell_perturbation',
      layout_version: 2,
      cz_benchmarks: {
        name: 'replogle_k562_essential_perturbpredict',
        target: 'czbenchmarks.datasets.SingleCellPerturbationDataset',
        organism_enum: 'HUMAN',
        parameters: { condition_key: 'condition', control_name: 'non-targeting', de_gene_col: 'gene_id' },
      },
    })
    expect(byName.get('rhesus_macaque_spermatogenesis')?.metadata).toMatchObject({ organism: 'NCBITaxon:9544', gene_id_prefix: 'ENSMMUG', layout_version: 1 })
    // Tabula_Sapiens_v2 names the atlas; the layout is datasets/v1/.
    for (const e of entries.filter((x) => x.name.startsWith('tsv2_'))) expect(e.metadata.layout_version).toBe(1)
    expect(entries.filter((e) => e.metadata.dataset_kind === 'single_cell_labeled')).toHaveLength(37)
    expect(byName.get('allen_soundlife_flu_vax_response')?.metadata.cz_benchmarks.parameters).toEqual({ label_column_key: 'sample__visitName' })
  })

  it('knows every organism of cz-benchmarks’ enum, with a taxon id', () => {
    const names = listOrganisms().map((o) => o.enum)
    expect(names).toHaveLength(26)
    for (const name of names) {
      const { entries } = parseCatalogues([entry(`${LABELED}organism: \${organism:${name}}\npath: s3://b-1/datasets/v1/a.h5ad`)])
      expect(entries[0]?.metadata.organism).toMatch(/^NCBITaxon:\d+$/)
    }
  })
})

describe('what is refused', () => {
  it('an unknown organism, a lower-case enum name, or a missing one', () => {
    const reasons = (body: string) => parseCatalogues([entry(body)]).refused.map((r) => r.reason)
    expect(reasons(`${LABELED}organism: \${organism:MARTIAN}\npath: s3://b-1/k.h5ad`)).toEqual([expect.stringMatching(/unknown organism MARTIAN/)])
    expect(reasons(`${LABELED}organism: \${organism:human}\npath: s3://b-1/k.h5ad`)).toEqual([expect.stringMatching(/unknown organism human/)])
    expect(reasons(`${LABELED}organism: homo_sapiens\npath: s3://b-1/k.h5ad`)).toEqual([expect.stringMatching(/is not \$\{organism:NAME\}/)])
    expect(reasons(`${LABELED}path: s3://b-1/k.h5ad`)).toEqual([expect.stringMatching(/organism is missing/)])
  })

  it('any other ${…}, in the path, a parameter or a nested value', () => {
    const reasons = (body: string) => parseCatalogues([entry(`${LABELED}organism: \${organism:HUMAN}\n${body}`)]).refused.map((r) => r.reason)
    expect(reasons('path: s3://b-1/${oc.env:HOME}/k.h5ad')).toEqual([expect.stringMatching(/^path holds/)])
    expect(reasons('path: s3://b-1/k.h5ad\ncondition_key: ${now:}')).toEqual([expect.stringMatching(/^condition_key holds/)])
    expect(reasons('path: s3://b-1/k.h5ad\nextra: {a: [1, "${x}"]}')).toEqual([expect.stringMatching(/^extra\.a\.1 holds/)])
  })

  it('a null entry, a non-mapping, a target outside cz-benchmarks, a path that is not s3://', () => {
    const { refused } = parseCatalogues([
      { path: 'f.yaml', text: 'datasets:\n  a: null\n  b: [1]\n  c:\n    _target_: os.system\n    organism: ${organism:HUMAN}\n    path: s3://b-1/k\n  d:\n    _target_: czbenchmarks.datasets.SingleCellLabeledDataset\n    organism: ${organism:HUMAN}\n    path: /etc/passwd\n' },
    ])
    expect(Object.fromEntries(refused.map((r) => [r.name, r.reason]))).toEqual({
      a: expect.stringMatching(/null/),
      b: expect.stringMatching(/not a mapping/),
      c: expect.stringMatching(/not a cz-benchmarks dataset class/),
      d: expect.stringMatching(/not an s3:\/\/bucket\/key URI/),
    })
  })

  it('a dataset name that is not one key segment', () => {
    for (const name of ['a/b', '..', '"x y"']) {
      expect(parseCatalogues([entry(`${LABELED}organism: \${organism:HUMAN}\npath: s3://b-1/k.h5ad`, name)]).refused).toEqual([
        expect.objectContaining({ reason: expect.stringMatching(/cannot be a key segment/) }),
      ])
    }
  })

  it('a whole file with duplicate keys, a tag, other defaults or other top-level keys', () => {
    const file = (text: string) => () => parseCatalogues([{ path: 'bad.yaml', text }])
    expect(file('datasets:\n  a: {path: x}\n  a: {path: y}\n')).toThrow(/bad\.yaml: INVALID_YAML/)
    expect(file('datasets:\n  a: !!python/object:os.system {}\n')).toThrow(/bad\.yaml: YAML_TAG/)
    expect(file('defaults:\n  - _self_\n  - override /x: y\ndatasets: {}\n')).toThrow(/only "defaults: \[_self_\]"/)
    expect(file('hydra: {}\ndatasets: {}\n')).toThrow(/unexpected top-level key "hydra"/)
    expect(file('datasets: null\n')).toThrow(/"datasets" must be a mapping/)
  })
})

describe('several files', () => {
  it('merge with the later one winning per dataset name', async () => {
    const later = entry(`_target_: czbenchmarks.datasets.SingleCellPerturbationDataset\norganism: \${organism:MOUSE}\npath: s3://other-bucket/datasets/v3/p.h5ad\ncontrol_name: ctrl`, 'tsv2_blood')
    const { entries } = parseCatalogues([await real(), later])
    expect(entries).toHaveLength(38)
    const blood = entries.find((e) => e.name === 'tsv2_blood')
    expect(blood).toMatchObject({ file: 'extra.yaml', uri: 's3://other-bucket/datasets/v3/p.h5ad' })
    expect(blood?.metadata).toMatchObject({ organism_name: 'mus_musculus', layout_version: 3, dataset_kind: 'single_cell_perturbation' })
  })

  it('a later valid entry replaces an earlier refused one, and the reverse', () => {
    const bad = entry(`${LABELED}organism: \${organism:NOPE}\npath: s3://b-1/k.h5ad`)
    const good = entry(`${LABELED}organism: \${organism:HUMAN}\npath: s3://b-1/k.h5ad`)
    expect(parseCatalogues([bad, good])).toMatchObject({ entries: [{ name: 'x' }], refused: [] })
    expect(parseCatalogues([good, bad])).toMatchObject({ entries: [], refused: [{ name: 'x' }] })
  })
})
