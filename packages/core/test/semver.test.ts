import { describe, expect, it } from 'vitest'
import { bumpPatch, compareVersions, InvalidVersionError, normalizeVersion, pickLatest } from '../src/index.js'

describe('semantic versions', () => {
  it('normalises a leading v and keeps prerelease and build parts', () => {
    expect(normalizeVersion('v1.2.3')).toBe('1.2.3')
    expect(normalizeVersion('1.0.0-rc.1+build.5')).toBe('1.0.0-rc.1+build.5')
  })

  for (const bad of ['1.2', '1', 'a.b.c', '01.2.3', '1.2.3-', '', ' ', 'latest', '1.2.3.4']) {
    it(`refuses ${JSON.stringify(bad)} with InvalidVersionError`, () => {
      expect(() => normalizeVersion(bad)).toThrow(InvalidVersionError)
    })
  }

  it('orders by semver precedence, prereleases below their release', () => {
    const sorted = ['1.0.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '0.9.0', '1.10.0', '1.2.0']
      .sort(compareVersions)
    expect(sorted).toEqual(['0.9.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.2.0', '1.10.0'])
    expect(compareVersions('1.0.0+a', '1.0.0+b')).toBe(0)
  })

  it('latest is the highest release, else the highest prerelease', () => {
    expect(pickLatest(['1.0.0', '2.0.0-rc.1', '1.5.0'])).toBe('1.5.0')
    expect(pickLatest(['2.0.0-rc.1', '2.0.0-rc.2'])).toBe('2.0.0-rc.2')
    expect(pickLatest([])).toBeUndefined()
  })

  it('bumps the patch, and a prerelease to its release', () => {
    expect(bumpPatch('1.2.3')).toBe('1.2.4')
    expect(bumpPatch('1.3.0-rc.1')).toBe('1.3.0')
  })
})
