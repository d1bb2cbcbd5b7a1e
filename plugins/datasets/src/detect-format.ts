import { open, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { InvalidInputError } from '@assets/core'

export const DATASET_FORMATS = ['h5ad', 'zarr', 'csv', 'tsv'] as const
export type DatasetFormat = (typeof DATASET_FORMATS)[number]

export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])

/** h5ad by its HDF5 signature or name, zarr by its folder metadata, CSV/TSV by extension. */
export async function detectFormat(path: string): Promise<DatasetFormat> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new InvalidInputError(`dataset ${path} does not exist or cannot be read`, { cause })
  })
  if (info.isDirectory()) {
    for (const marker of ['.zgroup', '.zarray', 'zarr.json']) {
      if (await stat(join(path, marker)).then(() => true, () => false)) return 'zarr'
    }
    throw new InvalidInputError(`folder ${path} is not a zarr store (no .zgroup, .zarray or zarr.json at its top)`)
  }
  const ext = extname(path).toLowerCase()
  if (ext === '.csv') return 'csv'
  if (ext === '.tsv' || ext === '.tab') return 'tsv'
  if (ext === '.h5ad' || ext === '.h5' || ext === '.hdf5') return 'h5ad'
  const head = Buffer.alloc(8)
  const handle = await open(path, 'r')
  try {
    await handle.read(head, 0, 8, 0)
  } finally {
    await handle.close()
  }
  if (head.equals(HDF5_SIGNATURE)) return 'h5ad'
  throw new InvalidInputError(`cannot tell the format of ${path}: name it .h5ad, .csv or .tsv, or pass format`)
}
