import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { temporaryFolder } from '@assets/testkit'
import { expect, it } from 'vitest'
// @ts-expect-error a plain .mjs fixture shared with the child processes
import { openStack } from './fixtures/stack.mjs'

const digestOf = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

async function stackWithAsset(bytes: Uint8Array) {
  const home = await temporaryFolder('assets-resume')
  const log = join(home, 'downloads.log')
  await writeFile(log, '')
  const manager = openStack(home, { downloadLog: log })
  await writeFile(join(home, 'src.bin'), bytes)
  const put = await manager.put('resume/data', join(home, 'src.bin'))
  return { manager, put, home, log }
}

it('get resumes a partial download left by an interrupted process and verifies the whole file', async () => {
  const bytes = randomBytes(8 * 1024 * 1024)
  const { manager, put } = await stackWithAsset(bytes)
  try {
    // What a process killed half-way through its download leaves: the first half at the staging path.
    const staging = manager.cache.stagingPath(put.digest)
    await mkdir(dirname(staging), { recursive: true })
    await writeFile(staging, bytes.subarray(0, bytes.length / 2))
    let moved = 0
    const path = await manager.get('resume/data', 'latest', { onProgress: (p: { bytes: number }) => (moved = p.bytes) })
    expect(digestOf(await readFile(path))).toBe(digestOf(bytes))
    // Only the missing half travelled.
    expect(moved).toBe(bytes.length / 2)
  } finally {
    await manager.close()
  }
})

it('a damaged partial download is detected, thrown away and fetched again from the start', async () => {
  const bytes = randomBytes(4 * 1024 * 1024)
  const { manager, put, log } = await stackWithAsset(bytes)
  try {
    const staging = manager.cache.stagingPath(put.digest)
    await mkdir(dirname(staging), { recursive: true })
    await writeFile(staging, randomBytes(1024 * 1024)) // right length of prefix, wrong bytes
    const path = await manager.get('resume/data')
    expect(digestOf(await readFile(path))).toBe(digestOf(bytes))
    // One resumed attempt that failed its digest check, then one whole download.
    expect((await readFile(log, 'utf8')).trim().split('\n')).toHaveLength(2)
  } finally {
    await manager.close()
  }
})

it('stored content that does not match its digest is never handed out by get', async () => {
  const bytes = randomBytes(100_000)
  const { manager, put, home } = await stackWithAsset(bytes)
  try {
    await writeFile(join(home, 'storage', put.location), randomBytes(100_000))
    const error = await manager.get('resume/data').catch((e: Error & { code?: string }) => e)
    expect(error.code).toBe('INTEGRITY_ERROR')
    expect(await manager.cache.get(put.digest)).toBeNull()
  } finally {
    await manager.close()
  }
})

it('a source that is neither a file nor a folder is refused and nothing is written', async () => {
  // Permission bits do not stop root, so "unreadable" is exercised with a FIFO, which put must
  // refuse rather than block on.
  const { manager, home } = await stackWithAsset(randomBytes(10))
  try {
    const fifo = join(home, 'pipe')
    execFileSync('mkfifo', [fifo])
    const error = await manager.put('resume/pipe', fifo).catch((e: Error & { code?: string }) => e)
    expect(error.code).toBe('INVALID_INPUT')
    expect(error.message).toContain('neither a file nor a folder')
    expect(await manager.registry.listVersions('resume/pipe', { includeDeleted: true })).toEqual([])
  } finally {
    await manager.close()
  }
})
