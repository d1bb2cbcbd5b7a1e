export { type OrganismInfo, resolveOrganism } from './core-specs.js'
export { computeDigest, parseChecksum } from './dataset-checksum.js'
export { createDatasetManager, DatasetAssetManager, type PutDatasetResult } from './dataset-manager.js'
export { MODALITIES, type Modality, type PutDatasetOptions } from './dataset-options.js'
export { DATASET_FORMATS, type DatasetFormat, detectFormat } from './detect-format.js'
export { FileSystemStore } from './zarr/fs-store.js'
export { BUILTIN_SCHEMAS, type BuiltinSchemaName, CELLXGENE_7_SCHEMA } from './schemas/cellxgene-7.js'
export {
  assertValidDataset, type DatasetReport, type DatasetSummary, resolveSchema, type ValidateDatasetOptions, validateDataset,
} from './validate-dataset.js'
export { loadH5wasm as preloadHdf5 } from './h5ad/h5wasm-loader.js'
