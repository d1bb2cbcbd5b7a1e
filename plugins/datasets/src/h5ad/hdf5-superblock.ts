import { open } from 'node:fs/promises'
import type { SchemaIssue } from '@assets/core'
import { HDF5_SIGNATURE } from '../detect-format.js'

/**
 * Reads the HDF5 superblock: the signature, and the end-of-file address the writer recorded,
 * which a truncated download falls short of. Cheaper and clearer than letting HDF5 fail on
 * the first missing byte somewhere in the middle.
 */
export async function checkSuperblock(path: string): Promise<SchemaIssue[]> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    const head = Buffer.alloc(64)
    const { bytesRead } = await handle.read(head, 0, 64, 0)
    if (bytesRead < 8 || !head.subarray(0, 8).equals(HDF5_SIGNATURE)) {
      return [{ severity: 'error', code: 'NOT_HDF5', path: '', message: 'the file does not start with the HDF5 signature: not an h5ad file' }]
    }
    const version = head[8]!
    // Offsets of "size of offsets" and of the end-of-file address, per superblock version.
    const layout = version === 0 ? { sizeAt: 13, eofAt: 24, skip: 2 } : version === 1 ? { sizeAt: 13, eofAt: 28, skip: 2 } : { sizeAt: 9, eofAt: 12, skip: 2 }
    const offsetSize = head[layout.sizeAt]!
    if (![2, 4, 8].includes(offsetSize) || version > 3) {
      return [{ severity: 'error', code: 'UNREADABLE_FILE', path: '', message: `the HDF5 superblock is damaged (version ${version}, offset size ${offsetSize})` }]
    }
    const eofOffset = layout.eofAt + layout.skip * offsetSize
    if (bytesRead < eofOffset + offsetSize) return [{ severity: 'error', code: 'TRUNCATED_FILE', path: '', message: `the file is only ${size} bytes long` }]
    const eof = Number(offsetSize === 8 ? head.readBigUInt64LE(eofOffset) : offsetSize === 4 ? head.readUInt32LE(eofOffset) : head.readUInt16LE(eofOffset))
    if (eof > size) {
      return [{ severity: 'error', code: 'TRUNCATED_FILE', path: '', message: `the file is ${size} bytes long but its HDF5 superblock says ${eof}: truncated (an interrupted download?)` }]
    }
    return []
  } finally {
    await handle.close()
  }
}
