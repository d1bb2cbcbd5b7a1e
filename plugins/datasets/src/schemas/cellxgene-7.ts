import type { DeclarativeSchema } from '@assets/core'

const term = (prefixes: string, extra = ''): { dtype: string; categorical: boolean; nullable: boolean; pattern: string } => ({
  dtype: 'string',
  categorical: true,
  nullable: false,
  pattern: `^((${prefixes}):[0-9]{7}${extra})$`,
})

/**
 * The CELLxGENE dataset schema 7.0.0 rules a file's structure can show, as a declarative
 * document. The rules that need more than one element at a time (raw counts, sparsity) are in
 * cellxgene-rules.ts.
 */
export const CELLXGENE_7_SCHEMA = {
  version: 1,
  description: 'CELLxGENE dataset schema 7.0.0',
  types: {},
  validators: [
    {
      id: 'cellxgene-7.0',
      type: 'AnnData',
      required: ['obs', 'var', 'uns', 'obsm', 'X'],
      forbidden_prefixes: ['__'],
      properties: {
        uns: {
          type: 'object',
          required: ['title', 'organism_ontology_term_id'],
          forbidden_prefixes: ['__'],
          properties: {
            title: { type: 'string', pattern: '\\S' },
            organism_ontology_term_id: { type: 'string', pattern: '^NCBITaxon:[0-9]+$' },
          },
        },
        obs: {
          type: 'dataframe',
          required: [
            'assay_ontology_term_id', 'cell_type_ontology_term_id', 'development_stage_ontology_term_id', 'disease_ontology_term_id',
            'donor_id', 'is_primary_data', 'self_reported_ethnicity_ontology_term_id', 'sex_ontology_term_id', 'suspension_type',
            'tissue_ontology_term_id', 'tissue_type',
          ],
          forbidden: ['organism_ontology_term_id'],
          forbidden_prefixes: ['__'],
          columns: {
            assay_ontology_term_id: term('EFO'),
            cell_type_ontology_term_id: { ...term('CL'), pattern: '^(CL:[0-9]{7}|unknown)$' },
            development_stage_ontology_term_id: { ...term('HsapDv|MmusDv|UBERON|[A-Za-z]+Dv'), pattern: '^([A-Za-z]+:[0-9]{7}|unknown)$' },
            disease_ontology_term_id: { ...term('PATO'), pattern: '^(PATO:0000461|MONDO:[0-9]{7}( \\|\\| MONDO:[0-9]{7})*)$' },
            donor_id: { dtype: 'string', categorical: true, nullable: false },
            is_primary_data: { dtype: 'bool', categorical: false },
            self_reported_ethnicity_ontology_term_id: { ...term('HANCESTRO'), pattern: '^(HANCESTRO:[0-9]{4,7}( \\|\\| HANCESTRO:[0-9]{4,7})*|unknown|na)$' },
            sex_ontology_term_id: { dtype: 'string', categorical: true, nullable: false, enum: ['PATO:0000383', 'PATO:0000384', 'PATO:0001340', 'unknown'] },
            suspension_type: { dtype: 'string', categorical: true, nullable: false, enum: ['cell', 'nucleus', 'na'] },
            tissue_ontology_term_id: { ...term('UBERON|CL'), pattern: '^(UBERON|CL):[0-9]{7}( \\(cell culture\\)| \\(organoid\\))?$' },
            tissue_type: { dtype: 'string', categorical: true, nullable: false, enum: ['tissue', 'organoid', 'primary cell culture', 'cell line'] },
          },
        },
        var: {
          type: 'dataframe',
          forbidden_prefixes: ['__'],
          index: { dtype: 'string', unique: true, pattern: '^(ENS[A-Z]*G[0-9]{11}|ERCC-[0-9]{5})$' },
          columns: { feature_is_filtered: { dtype: 'bool', categorical: false } },
        },
        X: { type: 'ndarray', encodings: ['dense', 'csr'], allowed_dtypes: ['numeric'], ndim: 2, shape: ['n_obs', 'n_vars'], sparse_above_zero_fraction: 0.5 },
        obsm: {
          type: 'object',
          min_pattern_matches: 1,
          pattern_properties: {
            '^X_.+': { type: 'ndarray', allowed_dtypes: ['numeric'], ndim: 2, shape: ['n_obs', { min: 2 }], values: { finite: true } },
          },
        },
        layers: {
          type: 'object',
          pattern_properties: { '.': { type: 'ndarray', encodings: ['dense', 'csr'], shape: ['n_obs', 'n_vars'], sparse_above_zero_fraction: 0.5 } },
        },
      },
    },
  ],
} satisfies Omit<DeclarativeSchema, 'validators'> & { validators: unknown[] }

export const BUILTIN_SCHEMAS = { 'cellxgene-7.0': CELLXGENE_7_SCHEMA } as const
export type BuiltinSchemaName = keyof typeof BUILTIN_SCHEMAS
