import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { temporaryFolder } from '@assets/testkit'
import { describe, expect, it } from 'vitest'
// @ts-expect-error a plain .mjs fixture shared with the child processes
import { openStack } from './fixtures/stack.mjs'

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))

// Compare big buffers by digest: a failing toEqual on 24 MiB would try to print both.
const digestOf = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
}

function child(script: string, args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(fixtures, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    p.on('error', reject)
    p.on('close', (code, signal) => resolve({ code, signal, stdout }))
  })
}

describe('a put killed with SIGKILL never leaves a registered version without complete content', () => {
  for (const killAt of ['upload-half', 'register', 'done']) {
    it(`killed at ${killAt}: the catalogue stays consistent and a rerun succeeds`, async () => {
      const home = await temporaryFolder('assets-crash')
      const source = join(home, 'data.bin')
      const bytes = randomBytes(24 * 1024 * 1024)
      await writeFile(source, bytes)
      const killed = await child('put-child.mjs', [home, 'crash/data', source, killAt])
      expect(killed.signal).toBe('SIGKILL')

      const manager = openStack(home, { user: 'root' }).as({ user: 'root', roles: ['admin'] })
      try {
        const versions = await manager.listVersions('crash/data').catch(() => [])
        // Killed before the commit point: nothing registered. At `done`: registered and complete.
        expect(versions.length).toBe(killAt === 'done' ? 1 : 0)
        expect((await manager.verify()).problems).toEqual([])

        const rerun = await child('put-child.mjs', [home, 'crash/data', source, 'never'])
        expect(rerun.code).toBe(0)
        expect(JSON.parse(rerun.stdout)).toMatchObject({ version: '1.0.0' })
        expect(digestOf(await readFile(await manager.get('crash/data')))).toBe(digestOf(bytes))
        const report = await manager.verify()
        expect(report).toMatchObject({ checked: 1, ok: 1, problems: [] })
        // What the crash left behind is unreferenced and goes at the next gc: the half-written
        // staging upload when killed mid-upload; nothing otherwise (the rerun reused the blob).
        // The killed put's holds protect its staging upload until they lapse (1 s in put-child).
        await new Promise((resolve) => setTimeout(resolve, 1200))
        const gc = await manager.gc({ now: new Date(Date.now() + 2 * 3600_000) })
        expect(gc.removedObjects.map((l: string) => l.split('/')[0])).toEqual(killAt === 'upload-half' ? ['staging'] : [])
        expect((await manager.verify()).ok).toBe(1)
      } finally {
        await manager.close()
      }
    })
  }
})

it('8 processes getting the same uncached asset download it once', async () => {
  const home = await temporaryFolder('assets-single-flight')
  const source = join(home, 'shared.bin')
  const bytes = randomBytes(16 * 1024 * 1024)
  await writeFile(source, bytes)
  const manager = openStack(home)
  await manager.put('shared/data', source)
  await manager.close()
  const log = join(home, 'downloads.log')
  const go = join(home, 'go')
  await writeFile(log, '')
  const children = Array.from({ length: 8 }, () => child('get-child.mjs', [home, 'shared/data', log, go]))
  await new Promise((r) => setTimeout(r, 300))
  await writeFile(go, '')
  const results = await Promise.all(children)
  expect(results.map((r) => r.code)).toEqual(Array(8).fill(0))
  const paths = new Set(results.map((r) => r.stdout))
  expect(paths.size).toBe(1)
  expect(digestOf(await readFile([...paths][0] as string))).toBe(digestOf(bytes))
  const downloads = (await readFile(log, 'utf8')).trim().split('\n')
  expect(downloads).toHaveLength(1)
})
