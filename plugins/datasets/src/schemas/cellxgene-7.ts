import type { DeclarativeSchema } from '@assets/core'
import { DEPRECATED_OBS_COLUMNS, DEPRECATED_UNS_KEYS, PORTAL_OBS_COLUMNS, PORTAL_UNS_KEYS, PORTAL_VAR_COLUMNS } from './cellxgene-reserved.js'

const term = (prefixes: string, extra = ''): { dtype: string; categorical: boolean; nullable: boolean; pattern: string } => ({
  dtype: 'string',
  categorical: true,
  nullable: false,
  pattern: `^((${prefixes}):[0-9]{7}${extra})$`,
})

/**
 * The CELLxGENE dataset schema 7.0.0 rules a file's structure can show, as a declarative
 * document. The rules that need more than one element at a time or the matrix values are in
 * cellxgene-rules.ts and the files it calls; plugins/datasets/README.md lists every rule.
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
        // The matrices first: their read buffer is then free for the obs index's
        // 300 000 strings, which reuse its memory instead of adding to the peak.
        X: { type: 'ndarray', encodings: ['dense', 'csr'], allowed_dtypes: ['numeric'], ndim: 2, shape: ['n_obs', 'n_vars'], sparse_above_zero_fraction: 0.5 },
        raw: {
          type: 'object',
          properties: {
            X: { type: 'ndarray', encodings: ['dense', 'csr'], allowed_dtypes: ['numeric'], ndim: 2, shape: ['n_obs', 'n_vars'], sparse_above_zero_fraction: 0.5 },
            var: {
              type: 'dataframe',
              forbidden: ['feature_is_filtered', ...PORTAL_VAR_COLUMNS],
              forbidden_prefixes: ['__'],
              index: { dtype: 'string', unique: true },
            },
          },
        },
        uns: {
          type: 'object',
          required: ['title', 'organism_ontology_term_id'],
          forbidden: [...DEPRECATED_UNS_KEYS, ...PORTAL_UNS_KEYS],
          forbidden_prefixes: ['__'],
          properties: {
            title: { type: 'string', pattern: '\\S' },
            organism_ontology_term_id: { type: 'string', pattern: '^NCBITaxon:[0-9]+$' },
            X_approximate_distribution: { type: 'string', enum: ['count', 'normal'] },
            default_embedding: { type: 'string' },
          },
        },
        obs: {
          type: 'dataframe',
          required: [
            'assay_ontology_term_id', 'cell_type_ontology_term_id', 'development_stage_ontology_term_id', 'disease_ontology_term_id',
            'donor_id', 'is_primary_data', 'self_reported_ethnicity_ontology_term_id', 'sex_ontology_term_id', 'suspension_type',
            'tissue_ontology_term_id', 'tissue_type',
          ],
          forbidden: [...DEPRECATED_OBS_COLUMNS, ...PORTAL_OBS_COLUMNS],
          forbidden_prefixes: ['__'],
          index: { dtype: 'string', unique: true },
          columns: {
            assay_ontology_term_id: term('EFO'),
            cell_type_ontology_term_id: { ...term('CL'), pattern: '^(CL:[0-9]{7}|(WBbt|ZFA):[0-9]{7}|FBbt:[0-9]{8}|unknown|na)$' },
            development_stage_ontology_term_id: { ...term('HsapDv'), pattern: '^((HsapDv|MmusDv|UBERON|WBls|ZFS):[0-9]{7}|FBdv:[0-9]{8}|unknown|na)$' },
            disease_ontology_term_id: { ...term('PATO'), pattern: '^(PATO:0000461|MONDO:[0-9]{7}( \\|\\| MONDO:[0-9]{7})*)$' },
            donor_id: { dtype: 'string', categorical: true, nullable: false, pattern: '\\S' },
            is_primary_data: { dtype: 'bool', categorical: false },
            self_reported_ethnicity_ontology_term_id: {
              ...term('HANCESTRO'),
              pattern: '^((HANCESTRO|AfPO):[0-9]{4,7}( \\|\\| (HANCESTRO|AfPO):[0-9]{4,7})*|unknown|na)$',
            },
            sex_ontology_term_id: { dtype: 'string', categorical: true, nullable: false, enum: ['PATO:0000383', 'PATO:0000384', 'PATO:0001340', 'unknown', 'na'] },
            suspension_type: { dtype: 'string', categorical: true, nullable: false, enum: ['cell', 'nucleus', 'na'] },
            tissue_ontology_term_id: { ...term('UBERON'), pattern: '^((UBERON|CL|WBbt|ZFA):[0-9]{7}|FBbt:[0-9]{8}|CVCL_[A-Z0-9]{4})$' },
            tissue_type: { dtype: 'string', categorical: true, nullable: false, enum: ['tissue', 'organoid', 'primary cell culture', 'cell line'] },
            in_tissue: { dtype: 'integer', enum: [0, 1] },
            array_row: { dtype: 'integer', min: 0, max: 127 },
            array_col: { dtype: 'integer', min: 0, max: 223 },
          },
        },
        var: {
          type: 'dataframe',
          required: ['feature_is_filtered'],
          forbidden: PORTAL_VAR_COLUMNS,
          forbidden_prefixes: ['__'],
          index: { dtype: 'string', unique: true, pattern: '^(ENS[A-Z]*G[0-9]{11}|WBGene[0-9]{8}|FBgn[0-9]{7}|ERCC-[0-9]{5})$' },
          columns: { feature_is_filtered: { dtype: 'bool', categorical: false, nullable: false } },
        },
        obsm: {
          type: 'object',
          min_pattern_matches: 1,
          properties: {
            spatial: { type: 'ndarray', allowed_dtypes: ['numeric'], ndim: 2, shape: ['n_obs', { min: 2 }] },
          },
          pattern_properties: {
            // Values (no ±inf, not all NaN) are checked in cellxgene-embeddings.ts.
            '^X_': { type: 'ndarray', allowed_dtypes: ['numeric'], ndim: 2, shape: ['n_obs', { min: 2 }] },
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
