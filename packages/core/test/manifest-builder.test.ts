import { describe, expect, it } from 'vitest'
import { decodeManifest, encodeManifest } from '../src/manager/folder-manifest.js'
import { ManifestBuilder, manifestChunks } from '../src/manager/manifest-builder.js'
import { sha256 } from '../src/digest.js'

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as const

describe('the manifest built entry by entry', () => {
  it('is the same bytes as the JSON manifest of before, so a folder keeps its digest', () => {
    // Paths JSON escapes differently from plain text: quotes, backslash-free unicode, emoji, spaces.
    const paths = ['a b/"quoted".txt', 'ü/ñ.csv', 'z/😀.bin', 'plain', "it's/x"]
    const files = Array.from({ length: 10_000 }, (_, i) => ({ path: `${paths[i % paths.length]}-${i}`, size: i * 37, digest: digest(i) }))
    const before = new TextEncoder().encode(JSON.stringify({ manifestVersion: 1, files }))
    const builder = new ManifestBuilder()
    for (const f of files) builder.add(f.path, f.size, f.digest)
    const bytes = builder.bytes()
    expect(Buffer.from(bytes).equals(Buffer.from(before))).toBe(true)
    expect(builder.count).toBe(files.length)
    expect(builder.size).toBe(files.reduce((n, f) => n + f.size, 0))
    expect(Buffer.from(encodeManifest(files)).equals(Buffer.from(before))).toBe(true)
    expect(decodeManifest(bytes, sha256(bytes)).files).toEqual(files)
  })

  it('encodes an empty folder as before', () => {
    const bytes = new ManifestBuilder().bytes()
    expect(new TextDecoder().decode(bytes)).toBe(JSON.stringify({ manifestVersion: 1, files: [] }))
  })

  it('is the same bytes when encoded as read from the entries by index, each time it is read', () => {
    const paths = ['a b/"quoted".txt', 'ü/ñ.csv', 'z/😀.bin', 'plain']
    for (const count of [0, 1, 4095, 4096, 4097, 9000]) {
      const files = Array.from({ length: count }, (_, i) => ({ path: `${paths[i % paths.length]}-${i}`, size: i * 3, digest: digest(i) }))
      const expected = Buffer.from(JSON.stringify({ manifestVersion: 1, files }))
      const chunks = () =>
        manifestChunks(
          count,
          (i) => files[i]?.path as string,
          (i) => files[i]?.size as number,
          (i) => files[i]?.digest as ReturnType<typeof digest>,
        )
      expect(Buffer.concat([...chunks()]).equals(expected)).toBe(true)
      // Read again (hashed, then written): the same bytes, not an exhausted iterator.
      expect(Buffer.concat([...chunks()]).equals(expected)).toBe(true)
    }
  })
})
