import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { scanVlenStrings } from '../src/h5ad/h5-string-reader.js'
import { type H5Dataset, openH5File } from '../src/h5ad/h5wasm-loader.js'

// strings.h5 is written by write_cellxgene_fixtures.py (h5py).
describe('variable-length strings read straight from HDF5', () => {
  it('gives what h5wasm decodes, in slices of any size: utf-8, empty, long and ASCII names', async () => {
    const file = await openH5File(join(inject('fixturesDir'), 'cellxgene', 'strings.h5'))
    try {
      for (const name of ['utf8', 'ascii']) {
        const dataset = file.get(name) as H5Dataset
        const expected = Array.from(dataset.value as string[])
        expect(expected.length).toBeGreaterThan(2)
        for (const step of [1, 2, 3, 256]) {
          const got: string[] = []
          const slices: number[] = []
          const n = await scanVlenStrings(dataset, step, (values) => {
            slices.push(values.length)
            got.push(...values)
          })
          expect(n, `${name} by ${step}`).toBe(expected.length)
          expect(got, `${name} by ${step}`).toEqual(expected)
          expect(Math.max(...slices)).toBe(Math.min(step, expected.length))
        }
      }
      expect(await scanVlenStrings(file.get('utf8') as H5Dataset, 2, () => {})).toBe(7)
      // Not a vlen string: left to h5wasm's own slice.
      expect(await scanVlenStrings(file.get('numbers') as H5Dataset, 2, () => {})).toBeUndefined()
      expect((file.get('utf8') as H5Dataset).value).toContain('célula-1')
    } finally {
      file.close()
    }
  })
})
