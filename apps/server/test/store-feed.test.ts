import { setTimeout as delay } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { StoreFeed } from '../src/store-feed.js'

/** What a store reading the feed gets: every chunk, then its end or the error it fails with. */
async function drain(feed: StoreFeed): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0
  try {
    for await (const chunk of feed.chunks()) bytes += chunk.length
    return { bytes }
  } catch (error) {
    return { bytes, error }
  } finally {
    feed.settled()
  }
}

describe('StoreFeed', () => {
  it('passes every chunk to the store and ends when the receiver ends it', async () => {
    const feed = new StoreFeed(1000, 1024)
    const store = drain(feed)
    for (let i = 0; i < 8; i++) await feed.push(Buffer.alloc(4096))
    feed.end()
    expect(await store).toEqual({ bytes: 8 * 4096 })
  })

  it('leaves the store out when a client drips bytes too slowly to hold a part buffer', async () => {
    const feed = new StoreFeed(200, 64 * 1024)
    let settled = false
    const store = drain(feed).finally(() => {
      settled = true
    })
    const started = Date.now()
    // A byte every 50 ms: never idle for the 200 ms stall, but far below 64 KiB a window.
    while (!settled && Date.now() - started < 3000) {
      await feed.push(Buffer.alloc(1))
      await delay(50)
    }
    const { error } = await store
    expect(String(error)).toMatch(/fewer than 65536 bytes in 200 ms/)
    expect(Date.now() - started).toBeLessThan(3000)
    // Once left out, the feed takes the rest without waiting for a store that is gone.
    await feed.push(Buffer.alloc(1))
  })
})
