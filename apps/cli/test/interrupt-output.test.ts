import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, collect, expectFailure, describeUnlessLocalOnly, Sandbox } from './fixtures/cli.js'
import { stagingFiles, waitFor, writeBigFile } from './fixtures/interrupted-transfer.js'

let s: Sandbox
const BIG_MIB = 200

beforeAll(async () => {
  s = await Sandbox.create('interrupt')
  await writeBigFile(s.path('big.bin'), BIG_MIB)
})
afterAll(() => s.cleanup())

describe('Ctrl-C and progress', () => {
  // `script` (util-linux) gives the command a real terminal; it is on every Debian machine.
  it('on a terminal a put draws a progress bar on stderr, and none with --quiet', async () => {
    const env = { ASSETS_PROGRESS_DELAY_MS: '0' }
    const onTty = (args: string) =>
      collect(spawn('script', ['-qec', `"${process.execPath}" "${BIN}" ${args}`, '/dev/null'], { cwd: s.work, env: s.env(env), stdio: ['ignore', 'pipe', 'pipe'] }))
    const drawn = await onTty('put tty/one big.bin')
    expect(drawn.stdout).toMatch(/\rput tty\/one {2}\[[#-]{20}\] +\d+%/)
    expect(drawn.stdout).toContain('\r\x1b[Kstored tty/one@1.0.0 ')
    const quiet = await onTty('put tty/two big.bin --quiet')
    expect(quiet.stdout).not.toContain('[')
    expect(quiet.stdout).toMatch(/^stored tty\/two@1\.0\.0 /)
  })

  it('cat into a reader that stops early (| head) ends quietly', async () => {
    // Its own key: the interrupted put of big/file is local only (LOCAL_ONLY in vitest.config.ts).
    await s.json(['put', 'big/cat', 'big.bin'])
    const child = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" cat big/cat | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`], {
      cwd: s.work,
      env: s.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const r = await collect(child)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('0\n')
  })
})

describe('failures', () => {
  it('a failure is reported by its code without a stack trace, and with one under --debug', async () => {
    await writeFile(s.path('small.txt'), 'small\n')
    await writeFile(s.path('a-file'), 'not a folder\n')
    await s.json(['put', 'small/one', 'small.txt'])
    const r = await s.run(['get', 'small/one', '--out', 'a-file/inside/copy.txt'])
    expectFailure(r, 'INVALID_INPUT')
    expect(r.stderr).toContain('not a folder')
    const debug = await s.run(['get', 'small/one', '--out', 'a-file/inside/copy.txt', '--debug'])
    expect(debug.stderr).toMatch(/^error INVALID_INPUT: [^\n]*\n\w*Error: [^\n]*\n\s+at /)
  })
})

// Local only (see LOCAL_ONLY in vitest.config.ts): not registered in the run through a server.
describeUnlessLocalOnly('Ctrl-C during a put', () => {
  it('SIGINT during a large put exits 130, registers nothing and leaves no staging file; a rerun succeeds', async () => {
    const child = s.spawn(['put', 'big/file', 'big.bin'])
    const done = collect(child)
    // The upload has begun once its staging file exists: interrupt it then.
    await waitFor(async () => (await stagingFiles(s)).length > 0, 20_000)
    child.kill('SIGINT')
    const r = await done
    expect(r.code).toBe(130)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^interrupted: /)
    expect(await stagingFiles(s)).toEqual([])
    expectFailure(await s.run(['versions', 'big/file']), 'ASSET_NOT_FOUND')

    // Not a terminal, so no progress output even without --quiet, however soon a bar may start.
    const again = await s.run(['put', 'big/file', 'big.bin'], { env: { ASSETS_PROGRESS_DELAY_MS: '0' } })
    expect(again.code).toBe(0)
    expect(again.stderr).toBe('')
    expect(again.stdout).toMatch(/^stored big\/file@1\.0\.0 {2}other {2}200 MiB /)
  })
})
