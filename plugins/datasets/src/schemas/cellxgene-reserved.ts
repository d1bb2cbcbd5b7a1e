/**
 * Names the CELLxGENE 7.0 schema reserves ("General Requirements", `obs`, `var`, `uns`): the
 * deprecated ones MUST NOT be present, and the ones CELLxGENE Discover adds on upload MUST NOT
 * be annotated by curators. A file downloaded from Discover carries the latter, so it is
 * refused as a submission, as the schema's own validator does.
 */

/** Deprecated in 6.0.0 (organism*) and 3.0.0 (ethnicity*). */
export const DEPRECATED_OBS_COLUMNS = ['organism', 'organism_ontology_term_id', 'ethnicity', 'ethnicity_ontology_term_id']

/** Deprecated in 3.0.0, 2.0.0 and 1.1.0. */
export const DEPRECATED_UNS_KEYS = [
  'X_normalization', 'default_field', 'layer_descriptions', 'tags', 'version', 'contributors', 'preprint_doi', 'project_description',
  'project_links', 'project_name', 'publication_doi',
]

/** Human-readable names and the join id Discover adds to obs. */
export const PORTAL_OBS_COLUMNS = ['assay', 'cell_type', 'development_stage', 'disease', 'observation_joinid', 'self_reported_ethnicity', 'sex', 'tissue']

/** Feature annotations Discover adds to var and raw.var. */
export const PORTAL_VAR_COLUMNS = ['feature_biotype', 'feature_length', 'feature_name', 'feature_reference', 'feature_type']

/** Keys Discover adds to uns. */
export const PORTAL_UNS_KEYS = ['citation', 'organism', 'schema_reference', 'schema_version']
