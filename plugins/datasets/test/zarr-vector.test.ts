import { join } from 'node:path'
import * as zarr from 'zarrita'
import { describe, expect, inject, it } from 'vitest'
import { FileSystemStore } from '../src/zarr/fs-store.js'
import { zarrCompressedParts } from '../src/zarr/zarr-vector.js'

// cxg-duplicate-cells.zarr's raw/X parts are stored in chunks of 7 entries (write_cellxgene_fixtures.py).
const store = () => new FileSystemStore(join(inject('fixturesDir'), 'cellxgene', 'cxg-duplicate-cells.zarr'))

async function whole(path: string): Promise<number[]> {
  const node = (await zarr.open(zarr.root(store()).resolve(path), { kind: 'array' })) as zarr.Array<zarr.DataType, FileSystemStore>
  const { data } = (await zarr.get(node)) as { data: ArrayLike<number | bigint> }
  return Array.from(data, Number)
}

describe('zarr sparse parts read by ranges', () => {
  it('gives the same values as a whole read for ranges inside one chunk, across chunks and at the ends', async () => {
    const parts = await zarrCompressedParts(store(), 'raw/X')
    expect(parts).toBeDefined()
    for (const name of ['data', 'indices', 'indptr'] as const) {
      const part = parts![name]
      const all = await whole(`raw/X/${name}`)
      expect(part.length, name).toBe(all.length)
      expect(part.path).toBe(`raw/X/${name}`)
      for (const [start, end] of [[0, 7], [1, 5], [5, 20], [6, 8], [0, all.length], [all.length - 3, all.length], [7, 14], [3, 3]] as const) {
        expect(Array.from(await part.read(start, end), Number), `${name} ${start}-${end}`).toEqual(all.slice(start, end))
      }
      // Reading past the end gives what is there, never padding from the last chunk.
      expect(Array.from(await part.read(all.length - 2, all.length + 10), Number)).toEqual(all.slice(-2))
    }
  })

  it('is absent when a part is missing', async () => {
    expect(await zarrCompressedParts(store(), 'obs')).toBeUndefined()
  })
})
