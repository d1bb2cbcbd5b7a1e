import { AUDIT_ACTIONS, type PinDigest, sha256 } from '@assets/core'
import { makeRecord } from './record-fixtures.js'
import { ACTOR, type Define, rejection } from './registry-case.js'

/** A version registered by reference before its bytes were read: a pin digest, and the reference in its metadata. */
function pinnedRecord(key: string, version: string) {
  const pin = `pin:${sha256(`${key}@${version}`).slice('sha256:'.length)}` as PinDigest
  return makeRecord(key, version, {
    digest: pin,
    location: `s3://suite-bucket/${key}.h5ad`,
    metadata: { externalReference: { uri: `s3://suite-bucket/${key}.h5ad`, etag: '"abc"' } },
  })
}

export function referenceDigests(test: Define): void {
  test('recordContentDigest replaces a pin once: the first writer wins, and it is audited', async ({ registry, expect, key }) => {
    const k = key()
    await registry.register(pinnedRecord(k, '1.0.0'), { actor: ACTOR })
    const first = sha256('the bytes')
    const second = sha256('other bytes')
    const other = await Promise.all([
      registry.recordContentDigest(k, '1.0.0', first, { actor: 'user:reader-a' }),
      registry.recordContentDigest(k, '1.0.0', second, { actor: 'user:reader-b' }),
    ])
    const recorded = (await registry.get(k, '1.0.0'))?.digest
    expect([first, second]).toContain(recorded)
    // Both callers see the digest that won, so the loser can tell that its bytes differ.
    expect(other.map((r) => r.digest)).toEqual([recorded, recorded])
    expect((await registry.recordContentDigest(k, '1.0.0', second, { actor: ACTOR })).digest).toBe(recorded)
    const entries = (await registry.audit({ key: k })).filter((e) => e.action === AUDIT_ACTIONS.recordDigest)
    expect(entries).toHaveLength(1)
    expect(entries[0]?.details).toEqual({ digest: recorded })
  })

  test('recordContentDigest never changes a content digest, and refuses what is not one', async ({ registry, expect, key }) => {
    const k = key()
    const plain = makeRecord(k, '1.0.0')
    await registry.register(plain, { actor: ACTOR })
    expect((await registry.recordContentDigest(k, '1.0.0', sha256('else'), { actor: ACTOR })).digest).toBe(plain.digest)
    await rejection(expect, registry.recordContentDigest(k, '1.0.0', 'sha256:zz' as never, { actor: ACTOR }), 'INVALID_INPUT')
    await rejection(expect, registry.recordContentDigest(k, '9.0.0', sha256('x'), { actor: ACTOR }), 'ASSET_NOT_FOUND')
  })

  test('a pin digest is accepted only for a file registered by reference', async ({ registry, expect, key }) => {
    const k = key()
    const pinned = pinnedRecord(k, '1.0.0')
    await rejection(expect, registry.register({ ...pinned, metadata: {} }, { actor: ACTOR }), 'INVALID_INPUT')
    await rejection(expect, registry.register({ ...pinned, type: 'folder' }, { actor: ACTOR }), 'INVALID_INPUT')
    expect((await registry.register(pinned, { actor: ACTOR })).record.digest).toBe(pinned.digest)
  })
}
