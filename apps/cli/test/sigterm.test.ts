import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collect, expectFailure, Sandbox } from './fixtures/cli.js'
import { stagingFiles, waitFor, writeBigFile } from './fixtures/interrupted-transfer.js'

let s: Sandbox
const BIG_MIB = 200

beforeAll(async () => {
  s = await Sandbox.create('sigterm')
  await writeBigFile(s.path('big.bin'), BIG_MIB)
})
afterAll(() => s.cleanup())

describe('SIGTERM is handled like the first Ctrl-C', () => {
  it('SIGTERM during a large put exits 143 with one JSON error, registers nothing and leaves no staging file', async () => {
    const child = s.spawn(['put', 'big/file', 'big.bin', '--json'])
    const done = collect(child)
    await waitFor(async () => (await stagingFiles(s)).length > 0, 20_000)
    child.kill('SIGTERM')
    const r = await done
    expect(r.code).toBe(143)
    expect(r.stdout).toBe('')
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'INTERRUPTED', message: 'interrupted by SIGTERM' } })
    expect(await stagingFiles(s)).toEqual([])
    expectFailure(await s.run(['versions', 'big/file']), 'ASSET_NOT_FOUND')
    const again = await s.run(['put', 'big/file', 'big.bin'])
    expect(again.code).toBe(0)
  })

  it('SIGTERM while cat waits on a slow reader aborts the stream and exits 143', async () => {
    const child = s.spawn(['cat', 'big/file'])
    const done = collect(child)
    // Stop reading after the first bytes: the command then waits on a full pipe, mid-transfer.
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()))
    child.stdout!.pause()
    child.kill('SIGTERM')
    // Read again once the command has reported the interruption, so that it can exit.
    await new Promise<void>((resolve) => child.stderr!.once('data', () => resolve()))
    child.stdout!.resume()
    const r = await done
    expect(r.code).toBe(143)
    expect(r.stderr).toMatch(/^interrupted: /)
  })
})
