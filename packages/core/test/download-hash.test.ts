import { randomBytes } from 'node:crypto'
import { mkdtemp, open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../src/digest.js'
import { type FillingSpan, SequentialHash, WorkerHash } from '../src/transfer/index.js'

const temporaryFolder = (name: string) => mkdtemp(join(tmpdir(), `${name}-`))

const MiB = 1024 * 1024

function spansOf(size: number, spanSize: number, filled = false): FillingSpan[] {
  const spans: FillingSpan[] = []
  for (let start = 0; start < size; start += spanSize) {
    const end = Math.min(size, start + spanSize)
    spans.push({ start, end, filled: filled ? end - start : 0 })
  }
  return spans
}

describe('WorkerHash: the sha256 of a file written out of order', () => {
  it('follows spans written last to first, in pieces, and ends at the digest of the whole file', async () => {
    const bytes = randomBytes(5 * MiB + 7)
    const path = join(await temporaryFolder('worker-hash'), 'out.bin')
    const file = await open(path, 'w')
    const spans = spansOf(bytes.length, 2 * MiB)
    const hash = new WorkerHash(path, spans)
    try {
      for (const span of [...spans].reverse()) {
        for (let at = span.start; at < span.end; at += 300_000) {
          const piece = bytes.subarray(at, Math.min(span.end, at + 300_000))
          await file.write(piece, 0, piece.length, at)
          span.filled += piece.length
          hash.written()
        }
      }
      expect(await hash.digest()).toBe(sha256(bytes))
    } finally {
      await hash.close()
      await file.close()
    }
  })

  it('reads spans that were already in the file (a resume) without being told of any write', async () => {
    const bytes = randomBytes(3 * MiB)
    const path = join(await temporaryFolder('worker-hash'), 'held.bin')
    await writeFile(path, bytes)
    const hash = new WorkerHash(path, spansOf(bytes.length, MiB, true))
    expect(await hash.digest()).toBe(sha256(bytes))
    await hash.close()
  })

  it('fails, rather than hash what is not there, when the file is shorter than its spans', async () => {
    const path = join(await temporaryFolder('worker-hash'), 'short.bin')
    await writeFile(path, randomBytes(MiB))
    const hash = new WorkerHash(path, spansOf(2 * MiB, MiB, true))
    await expect(hash.digest()).rejects.toThrow(/the file ends at byte 1048576, before 2097152/)
    await hash.close()
  })

  it('fails when the file cannot be opened, and close() still returns', async () => {
    const hash = new WorkerHash(join(await temporaryFolder('worker-hash'), 'missing.bin'), spansOf(10, 10, true))
    await expect(hash.digest()).rejects.toThrow(/ENOENT/)
    await hash.close()
  })
})

describe('SequentialHash: the sha256 of a file written in order', () => {
  it('reads a resumed prefix back, then hashes each write, and refuses a write out of order', async () => {
    const bytes = randomBytes(3 * MiB + 1)
    const path = join(await temporaryFolder('sequential-hash'), 'out.bin')
    await writeFile(path, bytes.subarray(0, MiB + 5))
    const file = await open(path, 'r')
    const hash = await SequentialHash.start(file, MiB + 5)
    await file.close()
    expect(() => hash.written(2 * MiB, [bytes.subarray(2 * MiB)])).toThrow(/a write at byte 2097152, the hash is at 1048581/)
    hash.written(MiB + 5, [bytes.subarray(MiB + 5, 2 * MiB), bytes.subarray(2 * MiB)])
    expect(await hash.digest()).toBe(sha256(bytes))
  })
})
