import { describe, expect, it } from 'vitest'
import { readOnlyModesHold } from '../src/write-protection.js'

// An unprivileged process's answer is checked by the embedded stack's one-copy test, which
// starts one as nobody.
describe('readOnlyModesHold', () => {
  it('is false exactly when this process is root, whom no mode stops', () => {
    expect(readOnlyModesHold()).toBe(process.geteuid?.() !== 0)
  })
})
