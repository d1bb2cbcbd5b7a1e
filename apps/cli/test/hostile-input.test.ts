import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectFailure, Sandbox } from './fixtures/cli.js'

// What a hostile user tried in issue 13, through the built command.

const ESC = '\x1b'
const BEL = '\x07'
const CSI = '\x9b'

/** Every file under `dir` (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

describe('secrets never print', () => {
  let s: Sandbox
  beforeAll(async () => {
    s = await Sandbox.create('hostile-secrets')
  })
  afterAll(() => s.cleanup())

  const HEADER_SECRETS = { 'X-Auth': 'xauth-secret', 'X-Auth-Key': 'xauthkey-secret', Authentication: 'authn-secret' }
  const SIGNED = 'X-Amz-Credential=cred-secret&X-Amz-Security-Token=sts-secret&X-Amz-Signature=sig-secret&Signature=cf-secret&sig=az-secret'

  it('config show hides every header value, whatever the header is called, and signed-URL parameters', async () => {
    const env = {
      STORAGE_TYPE: 'http',
      HTTP_STORAGE_BASE_URL: `https://store.example/?${SIGNED}&access_token=oauth-secret`,
      HTTP_STORAGE_HEADERS: JSON.stringify(HEADER_SECRETS),
    }
    const human = await s.run(['config', 'show'], { env })
    const json = await s.run(['config', 'show', '--json'], { env })
    expect([human.code, json.code]).toEqual([0, 0])
    for (const out of [human.stdout, json.stdout]) {
      for (const secret of ['xauth-secret', 'xauthkey-secret', 'authn-secret', 'cred-secret', 'sts-secret', 'sig-secret', 'cf-secret', 'az-secret', 'oauth-secret']) {
        expect(out).not.toContain(secret)
      }
    }
    const storage = (JSON.parse(json.stdout) as { config: { storage: { headers: unknown } } }).config.storage
    expect(storage.headers).toEqual({ 'X-Auth': '***', 'X-Auth-Key': '***', Authentication: '***' })
  })

  it('an error quoting a URL shows neither its signature nor its password', async () => {
    const signed = await s.run(['ls'], { env: { CONFIG_PATH: `https://configs.example/c.yaml?${SIGNED}` } })
    expectFailure(signed, 'CONFIG_INVALID')
    expect(signed.stderr).toContain('X-Amz-Signature=***')
    const withPassword = await s.run(['ls', '--json'], { env: { CONFIG_PATH: 'https://deploy:pw-secret@configs.example/c.yaml' } })
    expect(withPassword.code).toBe(1)
    for (const out of [signed.stderr, withPassword.stderr]) {
      for (const secret of ['cred-secret', 'sts-secret', 'sig-secret', 'cf-secret', 'az-secret', 'pw-secret']) expect(out).not.toContain(secret)
    }
  })
})

describe('metadata is stored as given or refused before any byte is stored', () => {
  let s: Sandbox
  beforeAll(async () => {
    s = await Sandbox.create('hostile-metadata')
    await writeFile(s.path('small.txt'), 'small\n')
  })
  afterAll(() => s.cleanup())

  const put = (...args: string[]) => s.run(['put', 'meta/one', 'small.txt', ...args])

  it('refuses a number JSON cannot hold, naming the field, instead of storing null', async () => {
    await writeFile(s.path('inf.json'), '{"stats": {"max": 1e999}}')
    const result = await put('--meta-file', 'inf.json')
    expectFailure(result, 'INVALID_INPUT')
    expect(result.stderr).toContain('"metadata.stats.max" is Infinity')
    expectFailure(await put('--meta', 'n:=-1e999'), 'INVALID_INPUT')
    await writeFile(s.path('inf.yaml'), 'x: .inf\n')
    expectFailure(await put('--meta-file', 'inf.yaml'), 'INVALID_INPUT')
  })

  it('refuses a field named __proto__ from a file or from --meta instead of dropping it', async () => {
    await writeFile(s.path('proto.json'), '{"__proto__": {"admin": true}, "a": 1}')
    await writeFile(s.path('proto.yaml'), '__proto__:\n  admin: true\n')
    for (const args of [['--meta-file', 'proto.json'], ['--meta-file', 'proto.yaml'], ['--meta', '__proto__.polluted=1'], ['--meta', '__proto__=1']]) {
      const result = await put(...args)
      expectFailure(result, 'INVALID_INPUT')
      expect(result.stderr).toContain('"metadata.__proto__": the field name __proto__ is not allowed')
    }
  })

  it('refuses deeply nested metadata as INVALID_INPUT, leaving no blob behind', async () => {
    await writeFile(s.path('deep.json'), `${'{"a":'.repeat(1001)}1${'}'.repeat(1001)}`)
    const result = await put('--meta-file', 'deep.json')
    expectFailure(result, 'INVALID_INPUT')
    expect(result.stderr).toContain('metadata nests deeper than 64 levels')
    expect(await filesUnder(join(s.home, 'storage', 'blobs'))).toEqual([])
  })

  it('refuses metadata over 1 MiB and a description over 64 KiB', async () => {
    // 250 000 keys: minutes to read with a quadratic unique-key check; now read, then refused for its size.
    const lines = Array.from({ length: 250_000 }, (_, i) => `k${i}: ${i}`)
    await writeFile(s.path('wide.yaml'), `${lines.join('\n')}\n`)
    const wide = await put('--meta-file', 'wide.yaml')
    expectFailure(wide, 'INVALID_INPUT')
    expect(wide.stderr).toMatch(/^error INVALID_INPUT: metadata takes \d+ bytes as JSON; at most 1048576 are allowed/)
    const long = await put('--description', 'd'.repeat(64 * 1024 + 1))
    expectFailure(long, 'INVALID_INPUT')
    expect(long.stderr).toContain('description takes 65537 bytes; at most 65536 are allowed')
    expect(await filesUnder(join(s.home, 'storage', 'blobs'))).toEqual([])
  })

  it('keeps constructor and prototype as plain fields', async () => {
    const record = await s.json<{ metadata: unknown }>(['put', 'meta/two', 'small.txt', '--meta', 'constructor.x=1', '--meta', 'prototype=2'])
    expect(record.metadata).toEqual({ constructor: { x: 1 }, prototype: 2 })
  })
})

describe('control characters reach the terminal escaped', () => {
  let s: Sandbox
  beforeAll(async () => {
    s = await Sandbox.create('hostile-terminal')
    await writeFile(s.path('small.txt'), 'small\n')
    for (const args of [
      ['put', 'term/one', 'small.txt', '--description', `title${ESC}]0;owned${BEL}`, '--meta', `note=red${ESC}[31m`],
      ['put', 'term/two', 'small.txt', '--description', `two\rfake row${CSI}2J`],
      ['annotate', 'term/one', `clear${ESC}[2J${CSI}H`],
    ]) {
      const result = await s.run(args)
      if (result.code !== 0) throw new Error(`assets ${args.join(' ')}: ${result.stderr}`)
    }
  })
  afterAll(() => s.cleanup())

  // versions and lineage print no free text (tags, users and file names are restricted).
  it.each([
    ['info', 'term/one'],
    ['find'],
    ['ls'],
    ['annotations', 'term/one'],
    ['audit', 'term/one'],
  ])("%s shows descriptions, annotations and metadata without a raw control character", async (...args: string[]) => {
    const result = await s.run(args)
    expect(result.code).toBe(0)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not be printed
    expect(result.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/)
  })

  it('shows what was written, escaped, in human output and as given in JSON', async () => {
    const info = await s.run(['info', 'term/one'])
    expect(info.stdout).toContain('title\\x1b]0;owned\\x07')
    expect(info.stdout).toContain('note=red\\x1b[31m')
    const ls = await s.run(['ls'])
    expect(ls.stdout).toContain('two\\x0dfake row\\x9b2J')
    expect((await s.run(['annotations', 'term/one'])).stdout).toContain('clear\\x1b[2J\\x9bH')
    const record = await s.json<{ description: string }>(['info', 'term/one'])
    expect(record.description).toBe(`title${ESC}]0;owned${BEL}`)
  })
})
