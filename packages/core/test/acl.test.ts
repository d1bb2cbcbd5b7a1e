import { describe, expect, it } from 'vitest'
import { can, defaultAccessControl, InvalidInputError, normalizeAccessControl, principalsOf } from '../src/index.js'

describe('access control', () => {
  const acl = normalizeAccessControl({ owner: 'user:alice', read: ['group:lab'], write: ['role:curator'], admin: ['user:carol'] })

  it('the owner and the admin role may do everything', () => {
    expect(can({ user: 'alice' }, acl, 'admin')).toBe(true)
    expect(can({ user: 'zed', roles: ['admin'] }, acl, 'admin')).toBe(true)
  })

  it('admin implies write implies read; nothing else grants', () => {
    expect(can({ user: 'carol' }, acl, 'write')).toBe(true)
    expect(can({ user: 'dan', roles: ['curator'] }, acl, 'read')).toBe(true)
    expect(can({ user: 'dan', roles: ['curator'] }, acl, 'admin')).toBe(false)
    expect(can({ user: 'erin', groups: ['lab'] }, acl, 'read')).toBe(true)
    expect(can({ user: 'erin', groups: ['lab'] }, acl, 'write')).toBe(false)
    expect(can({ user: 'mallory' }, acl, 'read')).toBe(false)
  })

  it('* grants everyone; a new key is readable by all and owned by its creator', () => {
    const d = defaultAccessControl({ user: 'alice' })
    expect(d).toEqual({ owner: 'user:alice', read: ['*'], write: [], admin: [] })
    expect(can({ user: 'anyone' }, d, 'read')).toBe(true)
    expect(can({ user: 'anyone' }, d, 'write')).toBe(false)
    expect(principalsOf({ user: 'a', groups: ['g'], roles: ['r'] })).toEqual(['*', 'user:a', 'group:g', 'role:r'])
  })

  it('refuses malformed principals', () => {
    expect(() => normalizeAccessControl({ owner: 'alice' })).toThrow(InvalidInputError)
    expect(() => normalizeAccessControl({ owner: 'user:a', read: ['team:x'] })).toThrow(InvalidInputError)
  })
})
