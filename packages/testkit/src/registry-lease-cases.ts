import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Define } from './registry-case.js'
import { rejection } from './registry-case.js'

const LONG = 60_000
const holder = (role: string) => `${role}:${randomBytes(6).toString('hex')}`
const locations = (n: number) => Array.from({ length: n }, () => `blobs/sha256/${randomBytes(32).toString('hex')}`)

/** How puts (holds) and gc (claims) agree on stored content: the contract gc's safety rests on. */
export function contentLeases(test: Define): void {
  test('a held location is never claimed; the rest are', async ({ registry, expect }) => {
    const [held, free] = locations(2) as [string, string]
    const put = holder('put')
    expect(await registry.holdContent(put, [held], LONG)).toEqual({ refused: [] })
    expect(await registry.claimContent(holder('gc'), [held, free], LONG)).toEqual({ claimed: [free] })
    await registry.releaseContent(put)
    expect(await registry.claimContent(holder('gc'), [held], LONG)).toEqual({ claimed: [held] })
  })

  test('a claimed location is refused to a hold until the claim is released', async ({ registry, expect }) => {
    const [claimed, other] = locations(2) as [string, string]
    const gc = holder('gc')
    expect(await registry.claimContent(gc, [claimed], LONG)).toEqual({ claimed: [claimed] })
    const put = holder('put')
    expect(await registry.holdContent(put, [claimed, other], LONG)).toEqual({ refused: [claimed] })
    // What was not refused is held: gc cannot claim it now.
    expect(await registry.claimContent(holder('gc'), [other], LONG)).toEqual({ claimed: [] })
    await registry.releaseContent(gc, [claimed])
    expect(await registry.holdContent(put, [claimed], LONG)).toEqual({ refused: [] })
  })

  test('holds of several puts, and claims of several gc runs, do not exclude each other', async ({ registry, expect }) => {
    const [a, b] = locations(2) as [string, string]
    const first = holder('put')
    await registry.holdContent(first, [a], LONG)
    expect(await registry.holdContent(holder('put'), [a], LONG)).toEqual({ refused: [] })
    await registry.releaseContent(first)
    // The second put's hold still protects it.
    expect(await registry.claimContent(holder('gc'), [a], LONG)).toEqual({ claimed: [] })
    expect(await registry.claimContent(holder('gc'), [b], LONG)).toEqual({ claimed: [b] })
    expect(await registry.claimContent(holder('gc'), [b], LONG)).toEqual({ claimed: [b] })
  })

  test('a lease that lapsed protects nothing, and renewing sets a new end', async ({ registry, expect }) => {
    const [lapsing, renewed] = locations(2) as [string, string]
    await registry.holdContent(holder('put'), [lapsing], 1)
    const put = holder('put')
    await registry.holdContent(put, [renewed], LONG)
    await registry.renewContent(put, 1)
    await sleep(30)
    const gc = holder('gc')
    expect(await registry.claimContent(gc, [lapsing, renewed], LONG)).toEqual({ claimed: [lapsing, renewed] })
    expect(await registry.holdContent(holder('put'), [renewed], LONG)).toEqual({ refused: [renewed] })
    await registry.renewContent(gc, 1)
    await sleep(30)
    expect(await registry.holdContent(holder('put'), [renewed], LONG)).toEqual({ refused: [] })
  })

  test('a hold and a claim of one location racing from two workers: exactly one wins', async ({ registry, another, expect }) => {
    const other = await another()
    for (const location of locations(25)) {
      const [held, claimed] = await Promise.all([
        registry.holdContent(holder('put'), [location], LONG),
        other.claimContent(holder('gc'), [location], LONG),
      ])
      const holdWon = held.refused.length === 0
      const claimWon = claimed.claimed.length === 1
      expect({ location, holdWon, claimWon }).toEqual({ location, holdWon: !claimWon, claimWon: !holdWon })
    }
  })

  test('many locations at once: a hold of over a thousand, claimed around, then released', async ({ registry, expect }) => {
    const many = locations(1_100)
    const [free] = locations(1) as [string]
    const put = holder('put')
    expect(await registry.holdContent(put, many, LONG)).toEqual({ refused: [] })
    const sample = [many[0], many[599], many[1_099]] as string[]
    expect(await registry.claimContent(holder('gc'), [...sample, free], LONG)).toEqual({ claimed: [free] })
    await registry.releaseContent(put)
    expect(await registry.claimContent(holder('gc'), sample, LONG)).toEqual({ claimed: sample })
  })

  test('a location one put held twice is protected until the put releases it, then by nothing', async ({ registry, expect }) => {
    const [twice, kept] = locations(2) as [string, string]
    const put = holder('put')
    await registry.holdContent(put, [twice, kept], LONG)
    await registry.holdContent(put, [twice], LONG)
    expect(await registry.claimContent(holder('gc'), [twice], LONG)).toEqual({ claimed: [] })
    await registry.releaseContent(put, [twice])
    expect(await registry.claimContent(holder('gc'), [twice, kept], LONG)).toEqual({ claimed: [twice] })
  })

  test('lease calls refuse bad arguments with a typed error', async ({ registry, expect }) => {
    await rejection(expect, registry.holdContent('', ['blobs/x'], LONG), 'INVALID_INPUT')
    await rejection(expect, registry.claimContent('gc:x', ['blobs/x'], 0), 'INVALID_INPUT')
    await rejection(expect, registry.holdContent('put:x', [''], LONG), 'INVALID_INPUT')
    await rejection(expect, registry.renewContent('put:x', -5), 'INVALID_INPUT')
  })
}
