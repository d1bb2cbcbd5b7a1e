import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { blobLocation } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { digestOf, putFile } from './fixtures/content.js'
import { type ServerStack, startServerStack } from './fixtures/server-stack.js'

// The example a Python harness copies: run as it is documented, by the system's python3, stdlib only.
const SCRIPT = fileURLToPath(new URL('../examples/benchmark_client.py', import.meta.url))

interface Run {
  code: number
  stdout: string
  stderr: string
}

function runClient(stack: ServerStack, token: string, args: string[]): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env, ASSETS_URL: stack.url, ASSETS_TOKEN: token }
  return new Promise((resolve) => {
    execFile('python3', [SCRIPT, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

async function succeed(stack: ServerStack, args: string[]) {
  const run = await runClient(stack, stack.tokens.alice as string, args)
  expect(run.code, run.stderr).toBe(0)
  return { summary: JSON.parse(run.stdout), stderr: run.stderr }
}

/** Bytes that differ all along, so that a wrongly placed range shows up in the digest. */
function pseudoRandom(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31
    bytes[i] = x >> 16
  }
  return bytes
}

const meanByte = (bytes: Buffer) => Math.round((bytes.reduce((sum, b) => sum + b, 0) / bytes.length) * 1e4) / 1e4

let stack: ServerStack
let latest: Buffer
let datasetVersion: string
let modelVersion: string

beforeAll(async () => {
  stack = await startServerStack()
  await putFile(stack, 'alice', 'datasets/pbmc', pseudoRandom(50_000, 1), { kind: 'dataset', fileName: 'pbmc.bin' }, { organism: 'human' })
  latest = pseudoRandom(70_000, 2)
  datasetVersion = (await putFile(stack, 'alice', 'datasets/pbmc', latest, { kind: 'dataset', fileName: 'pbmc.bin' }, { organism: 'human' })).version
  // Registered last, so the newest dataset overall: the organism filter must pass it over.
  await putFile(stack, 'alice', 'datasets/mouse-brain', pseudoRandom(1000, 3), { kind: 'dataset', fileName: 'brain.bin' }, { organism: 'mouse' })
  modelVersion = (await putFile(stack, 'alice', 'models/toy', Buffer.from('weights'), { kind: 'model', fileName: 'toy.pt' })).version
})
afterAll(async () => {
  await stack?.close()
})

describe('the standard-library Python client example', () => {
  it('downloads the latest dataset of an organism and registers its metrics linked to the dataset and model versions', async () => {
    const out = await temporaryFolder('py-client')
    const { summary } = await succeed(stack, ['--organism', 'human', '--model', 'models/toy', '--out', out])
    expect(summary.dataset).toMatchObject({ key: 'datasets/pbmc', version: datasetVersion, resumedFrom: 0, attempts: 1 })
    expect(await readFile(join(out, 'pbmc.bin'))).toEqual(latest)
    expect(summary.metrics).toEqual({ n_bytes: latest.length, mean_byte: meanByte(latest) })
    expect(summary.upload).toBe('uploaded')

    const output = await stack.manager.getMetadata(summary.output.key, summary.output.version)
    expect(output.kind).toBe('output')
    expect(output.createdBy).toBe('user:alice')
    expect(output.relationships).toEqual(
      expect.arrayContaining([
        { relation: 'evaluated_on', key: 'datasets/pbmc', version: datasetVersion },
        { relation: 'produced_by', key: 'models/toy', version: modelVersion },
      ]),
    )
    const content = await stack.call('alice', `/v1/content/${summary.output.key}`)
    expect(content.status).toBe(200)
    expect(JSON.parse(await content.text())).toEqual(summary.metrics)
  })

  it('resumes a partial download with a Range request', async () => {
    const out = await temporaryFolder('py-client')
    await writeFile(join(out, 'pbmc.bin.part'), latest.subarray(0, 12_345))
    const { summary } = await succeed(stack, ['--organism', 'human', '--model', 'models/toy', '--out', out, '--output-key', 'outputs/resumed'])
    // resumedFrom is the offset of a 206 answer: the server served only the rest.
    expect(summary.dataset).toMatchObject({ resumedFrom: 12_345, attempts: 1 })
    expect(await readFile(join(out, 'pbmc.bin'))).toEqual(latest)
    expect(existsSync(join(out, 'pbmc.bin.part'))).toBe(false)
  })

  it('throws away a partial download that does not match the digest and downloads again once', async () => {
    const out = await temporaryFolder('py-client')
    await writeFile(join(out, 'pbmc.bin.part'), Buffer.alloc(5000, 0xff))
    const { summary, stderr } = await succeed(stack, ['--organism', 'human', '--model', 'models/toy', '--out', out, '--output-key', 'outputs/retried'])
    // Had the Range been ignored (a 200 overwriting the prefix), the first attempt would have matched.
    expect(summary.dataset).toMatchObject({ resumedFrom: 5000, attempts: 2 })
    expect(stderr).toContain('downloading again')
    expect(await readFile(join(out, 'pbmc.bin'))).toEqual(latest)
  })

  it('finishes an upload of the metrics that an earlier attempt left unfinished', async () => {
    // Bytes 1, 2, 1, 2… have a mean of exactly 1.5, so the metrics JSON is known in advance.
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => 1 + (i % 2)))
    await putFile(stack, 'alice', 'datasets/zebrafish', bytes, { kind: 'dataset', fileName: 'fish.bin' }, { organism: 'zebrafish' })
    const metrics = Buffer.from('{"mean_byte": 1.5, "n_bytes": 4096}')
    const head = metrics.subarray(0, 10)
    const partial = await stack.call('alice', `/v1/blobs/${blobLocation(digestOf(metrics))}`, {
      method: 'PUT',
      body: head,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-9/${metrics.length}` },
    })
    expect(partial.status).toBe(202)
    const out = await temporaryFolder('py-client')
    const { summary } = await succeed(stack, ['--organism', 'zebrafish', '--model', 'models/toy', '--out', out])
    expect(summary.upload).toBe('resumed from 10')
    expect(summary.output.digest).toBe(digestOf(metrics))
    const content = await stack.call('alice', `/v1/content/${summary.output.key}`)
    expect(Buffer.from(await content.arrayBuffer())).toEqual(metrics)
  })

  it('exits non-zero with the server’s UNAUTHENTICATED message when the token is wrong', async () => {
    const out = await temporaryFolder('py-client')
    const run = await runClient(stack, `${(stack.tokens.alice as string).slice(0, -2)}xx`, ['--organism', 'human', '--model', 'models/toy', '--out', out])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(/^error: UNAUTHENTICATED: .+\(HTTP 401\)/m)
    expect(run.stdout).toBe('')
    expect(existsSync(join(out, 'pbmc.bin'))).toBe(false)
  })
})
