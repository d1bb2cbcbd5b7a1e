import { describe, expect, it } from 'vitest'
import { InvalidInputError } from '../src/errors/index.js'
import { fileNameOf, MAX_FILE_NAME_BYTES, validateFileName } from '../src/file-name.js'

describe('file names', () => {
  it('accepts one path segment any filesystem takes, spaces and non-ASCII included', () => {
    for (const name of ['pbmc3k.h5ad', 'cells.zarr', '.zgroup', 'scvi model (v2).pt', 'Zellen-Übersicht.csv', 'x'.repeat(MAX_FILE_NAME_BYTES)]) {
      expect(validateFileName(name)).toBe(name)
    }
  })

  it.each([
    ['', 'a non-empty string'],
    ['.', '"." or ".."'],
    ['..', '"." or ".."'],
    ['a/b.h5ad', 'path separator'],
    ['a\\b.h5ad', 'path separator'],
    ['nul\u0000.csv', 'control character'],
    ['escape\u001b[31m.csv', 'control character'],
    ['c1\u009b.csv', 'control character'],
    ['é'.repeat(128), 'longer than 255 bytes'],
    ['report\u202egpj.exe', 'bidirectional control character'],
  ])('refuses %j (%s)', (name, why) => {
    expect(() => validateFileName(name)).toThrow(InvalidInputError)
    expect(() => validateFileName(name)).toThrow(why)
  })

  it('fileNameOf: the recorded name, else the key’s last segment, also for a recorded name that is not safe', () => {
    expect(fileNameOf({ key: 'datasets/pbmc3k', fileName: 'pbmc3k.h5ad' })).toBe('pbmc3k.h5ad')
    expect(fileNameOf({ key: 'datasets/pbmc3k' })).toBe('pbmc3k')
    expect(fileNameOf({ key: 'top' })).toBe('top')
    expect(fileNameOf({ key: 'datasets/pbmc3k', fileName: '../../.bashrc' })).toBe('pbmc3k')
  })
})
