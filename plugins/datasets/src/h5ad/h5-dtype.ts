import type { H5Dataset } from './h5wasm-loader.js'

// HDF5 type classes (H5T_class_t) as h5wasm reports them in `metadata.type`.
const H5T_INTEGER = 0
const H5T_FLOAT = 1
const H5T_STRING = 3
const H5T_ENUM = 8

/** numpy-style dtype name of a dataset, read from its metadata alone. */
export function h5Dtype(dataset: H5Dataset): string {
  const m = dataset.metadata
  switch (m.type) {
    case H5T_INTEGER:
      return `${m.signed ? 'int' : 'uint'}${m.size * 8}`
    case H5T_FLOAT:
      return `float${m.size * 8}`
    case H5T_STRING:
      return 'string'
    case H5T_ENUM: {
      // h5py stores numpy bools as an enum {FALSE: 0, TRUE: 1}.
      const members = Object.keys(m.enum_type?.members ?? {}).map((k) => k.toUpperCase())
      if (members.length === 2 && members.includes('TRUE') && members.includes('FALSE')) return 'bool'
      return `${m.signed ? 'int' : 'uint'}${m.size * 8}`
    }
    default:
      return 'unknown'
  }
}
