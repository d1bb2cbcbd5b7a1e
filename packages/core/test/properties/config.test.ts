import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import YAML from 'yaml'
import { AssetConfig, ConfigInvalidError, parseDotenv } from '../../src/index.js'
import { hostileString } from './hostile-strings.js'

const folder = mkdtempSync(join(tmpdir(), 'assets-config-props-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const env = { HOME: folder, ASSETS_HOME: join(folder, 'home') }
const value = fc.oneof(hostileString(), fc.anything({ maxDepth: 2 }))
const names = fc.oneof(fc.array(fc.oneof(hostileString(), fc.constantFrom('lab', 'admin', 'a-b_c')), { maxLength: 3 }), value)
const section = fc.record({ type: fc.oneof(fc.constantFrom('local', 's3', 'sqlite', 'redis', ' '), value), enabled: value, ttl: value, path: value }, { requiredKeys: [] })
/** Config-shaped input: the known fields, each either plausible or hostile. */
const configInput = fc.record(
  {
    home: value,
    dataDir: value,
    cacheDir: value,
    storage: fc.oneof(section, value),
    cache: fc.oneof(section, value),
    registry: fc.oneof(section, value),
    identity: fc.oneof(fc.record({ user: fc.oneof(hostileString(), value), groups: names, roles: names }, { requiredKeys: [] }), value),
    users: fc.oneof(fc.dictionary(hostileString(), fc.oneof(fc.record({ groups: names, roles: names }, { requiredKeys: [] }), value), { maxKeys: 3 }), value),
    allowInsecureStorage: value,
    pluginPaths: fc.oneof(fc.array(hostileString(), { maxLength: 3 }), value),
  },
  { requiredKeys: [] },
)

let n = 0
function loadText(text: string): unknown {
  const path = join(folder, `config-${n++}.yaml`)
  writeFileSync(path, text)
  try {
    return AssetConfig.load({ env, cwd: folder, configPath: path })
  } catch (error) {
    return error
  }
}

function expectConfigOrTypedError(result: unknown): void {
  if (result instanceof AssetConfig) {
    // Whatever was accepted is printable and names a plugin type for each section.
    expect(() => JSON.stringify(result)).not.toThrow()
    for (const s of [result.storage, result.cache, result.registry]) expect(typeof s.type).toBe('string')
  } else {
    expect(result).toBeInstanceOf(ConfigInvalidError)
  }
}

describe('config (properties)', () => {
  it('a config file of any text loads or fails with ConfigInvalidError, never another error', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      configInput.map((c) => {
        try {
          return YAML.stringify(c)
        } catch {
          return JSON.stringify(c) ?? ''
        }
      }),
    )
    fc.assert(fc.property(text, (t) => expectConfigOrTypedError(loadText(t))), { numRuns: 200 })
  })

  it('a config object from code is accepted or refused with ConfigInvalidError, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(configInput, value), (input) => {
        let result: unknown
        try {
          result = AssetConfig.fromObject(input as never, { env, cwd: folder })
        } catch (error) {
          result = error
        }
        expectConfigOrTypedError(result)
      }),
      { numRuns: 300 },
    )
  })

  it('.env text never throws, and KEY="value" lines read back as written', () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/)
    fc.assert(
      fc.property(fc.dictionary(key, fc.string({ maxLength: 12 }), { maxKeys: 5 }), fc.string({ maxLength: 40 }), (vars, junk) => {
        expect(() => parseDotenv(junk)).not.toThrow()
        const escaped = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
        const text = Object.entries(vars).map(([k, v]) => `${k}="${escaped(v)}"`).join('\n')
        const parsed = parseDotenv(text)
        expect(parsed.problems).toEqual([])
        expect(parsed.values).toEqual(vars)
      }),
      { numRuns: 200 },
    )
  })
})

describe('config: cases the properties found', () => {
  for (const type of ['__proto__', 'constructor', 'toString']) {
    it(`a plugin type named ${type} is a package name, not a property of Object (was a TypeError)`, () => {
      const result = loadText(`cache:\n  type: ${type}\nstorage:\n  type: ${type}\n`)
      expect(result).toBeInstanceOf(AssetConfig)
      expect((result as AssetConfig).cache.type).toBe(type)
      expect((result as AssetConfig).storage.type).toBe(type)
    })
  }
})
