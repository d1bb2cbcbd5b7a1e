import { stat } from 'node:fs/promises'
import { isContentDigest, isValidKey, isVersion, normalizeAccessControl, principalsOf } from '@assets/core'
import { describe, expect, it } from 'vitest'
import { contentOf, makeRecord, randomKey, SUPERUSER_SCOPE, scopeOf, temporaryFolder } from '../src/index.js'

describe('testkit fixtures', () => {
  it('randomKey gives valid keys that never repeat', () => {
    const keys = Array.from({ length: 1000 }, () => randomKey('kit'))
    expect(new Set(keys).size).toBe(1000)
    expect(keys.every((k) => isValidKey(k) && k.startsWith('kit/'))).toBe(true)
  })

  it('temporaryFolder makes a new folder each time', async () => {
    const [a, b] = [await temporaryFolder('kit'), await temporaryFolder('kit')]
    expect(a).not.toBe(b)
    expect((await stat(a)).isDirectory()).toBe(true)
  })

  it('makeRecord builds a record every registry must accept', () => {
    const r = makeRecord('kit/a', '1.2.3', { metadata: { n: 1 } })
    expect(isValidKey(r.key) && isVersion(r.version) && isContentDigest(r.digest)).toBe(true)
    expect(normalizeAccessControl(r.accessControl)).toEqual(r.accessControl)
    expect(r.metadata).toEqual({ n: 1 })
    expect(contentOf('x').size).toBe(1)
  })

  it('scopes carry the actor principals; the superuser scope is marked', () => {
    expect(scopeOf({ user: 'u', groups: ['g'] })).toEqual({ principals: principalsOf({ user: 'u', groups: ['g'] }), superuser: false })
    expect(SUPERUSER_SCOPE.superuser).toBe(true)
  })
})
