import { randomBytes } from 'node:crypto'
import { readdir, stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { blobLocation } from '@assets/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STORE_FEED_STALL_MS } from '../src/upload-area.js'
import { digestOf } from './fixtures/content.js'
import { openUpload, resumeUpload, sha256OfObject, settledOffset, untilTrue } from './fixtures/upload-client.js'
import { type ServerStack, startServerStack } from './fixtures/server-stack.js'

// A whole upload goes to the store while it arrives (here the embedded stack's local folder),
// and what the store holds is still only ever the verified blob.
let stack: ServerStack
beforeAll(async () => {
  stack = await startServerStack()
})
afterAll(() => stack?.close())

const MiB = 1024 * 1024

/** The store's temporary files of `location` (its upload in progress), with their sizes. */
async function staging(location: string): Promise<number[]> {
  const path = stack.manager.storage.localPath?.(location) as string
  const names = (await readdir(dirname(path)).catch(() => [] as string[])).filter((name) => name.startsWith(`${basename(path)}.tmp-`))
  // One may be renamed or removed between the listing and its stat: it is then no longer staging.
  const sizes = await Promise.all(names.map(async (name) => (await stat(`${dirname(path)}/${name}`).catch(() => undefined))?.size))
  return sizes.filter((size) => size !== undefined)
}

const token = () => stack.tokens.alice as string

describe('an upload fed to the store while it arrives', () => {
  it('reaches the store before its body has ended, and stores exactly the blob', async () => {
    const bytes = randomBytes(6 * MiB)
    const location = blobLocation(digestOf(bytes))
    const upload = await openUpload(stack.url, token(), location, bytes, 3 * MiB)
    // Half the body sent and the client paused: the store is already writing the blob.
    expect(await untilTrue(async () => (await staging(location)).some((size) => size > 0))).toBe(true)
    expect(await stack.manager.storage.stat(location)).toBeNull()
    const response = await upload.finish()
    expect(response.status, response.body).toBe(201)
    expect(await sha256OfObject(stack.manager.storage, location)).toBe(digestOf(bytes))
    expect(await staging(location)).toEqual([])
  })

  it('leaves nothing in the store when the bytes are not the ones the location names', async () => {
    const bytes = randomBytes(6 * MiB)
    const location = blobLocation(digestOf(randomBytes(16)))
    const upload = await openUpload(stack.url, token(), location, bytes, 3 * MiB)
    expect(await untilTrue(async () => (await staging(location)).length > 0)).toBe(true)
    const response = await upload.finish()
    expect(response.status).toBe(422)
    expect(JSON.parse(response.body).error.code).toBe('INTEGRITY_ERROR')
    expect(await stack.manager.storage.stat(location)).toBeNull()
    expect(await staging(location)).toEqual([])
  })

  it('a dropped connection leaves nothing in the store, and the resumed upload stores the blob', async () => {
    const bytes = randomBytes(6 * MiB)
    const location = blobLocation(digestOf(bytes))
    const sent = 3 * MiB + 17
    const upload = await openUpload(stack.url, token(), location, bytes, sent)
    expect(await untilTrue(async () => (await staging(location)).length > 0)).toBe(true)
    await upload.drop()
    const offset = await settledOffset(stack.url, token(), location)
    expect(offset).toBeGreaterThan(0)
    expect(offset).toBeLessThanOrEqual(sent)
    expect(await stack.manager.storage.stat(location)).toBeNull()
    expect(await staging(location)).toEqual([])
    const rest = await resumeUpload(stack.url, token(), location, bytes, offset)
    expect(rest.status, await rest.clone().text()).toBe(201)
    expect(await sha256OfObject(stack.manager.storage, location)).toBe(digestOf(bytes))
  })

  it('a client that stalls longer than the store waits is stored from the received file', async () => {
    const bytes = randomBytes(4 * MiB)
    const location = blobLocation(digestOf(bytes))
    const upload = await openUpload(stack.url, token(), location, bytes, 2 * MiB)
    expect(await untilTrue(async () => (await staging(location)).length > 0)).toBe(true)
    // The store's upload is given up (its buffers are not held for a stalled client) …
    expect(await untilTrue(async () => (await staging(location)).length === 0, STORE_FEED_STALL_MS + 3000)).toBe(true)
    expect(await stack.manager.storage.stat(location)).toBeNull()
    // … and the upload itself goes on: the blob is stored once every byte has arrived.
    const response = await upload.finish()
    expect(response.status, response.body).toBe(201)
    expect(await sha256OfObject(stack.manager.storage, location)).toBe(digestOf(bytes))
  }, 30_000)
})
