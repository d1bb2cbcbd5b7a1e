// One process of the multi-process registry tests (runRegistryJobs). It waits for a shared
// start time, so that every process reaches the backend at the same moment, does its one job
// against the registry the named module's factory builds, and prints the outcome as JSON.
// Jobs:
//   register  register `version` of `key` with `content`
//   put-next  register the next patch version of `key`, as the asset manager's put does:
//             read the versions, take the next one, and on VERSION_CONFLICT read them again
import { pathToFileURL } from 'node:url'
import { type AssetRecord, blobLocation, bumpPatch, compareVersions, defaultAccessControl, type Registry, sha256 } from '@assets/core'
import type { RegistryJob } from './registry-processes.js'

interface Argument extends RegistryJob {
  module: string
  factory: string
  options: unknown
  startAt: number
}

const { module, factory, options, job, key, version, content, startAt } = JSON.parse(process.argv[2] ?? '{}') as Argument
const create = (await import(pathToFileURL(module).href))[factory] as (options: unknown) => Registry
const pause = new Int32Array(new SharedArrayBuffer(4))
while (Date.now() < startAt) Atomics.wait(pause, 0, 0, 1)

const registry = create(options)
const digest = sha256(content)
const record = (v: string): AssetRecord => ({
  key,
  version: v,
  kind: 'output',
  type: 'file',
  digest,
  size: Buffer.byteLength(content),
  fileCount: 1,
  location: blobLocation(digest),
  metadata: { pid: process.pid },
  relationships: [],
  accessControl: defaultAccessControl({ user: 'child' }),
  createdBy: 'user:child',
  createdAt: new Date().toISOString(),
})

async function putNext(): Promise<{ outcome: string; version: string; conflicts: number }> {
  let conflicts = 0
  for (;;) {
    const versions = (await registry.listVersions(key, { includeDeleted: true })).map((r) => r.version).sort(compareVersions)
    const next = versions.length === 0 ? '1.0.0' : bumpPatch(versions.at(-1) as string)
    try {
      const result = await registry.register(record(next), { actor: 'user:child' })
      return { outcome: result.created ? 'created' : 'unchanged', version: next, conflicts }
    } catch (error) {
      if ((error as { code?: unknown })?.code !== 'VERSION_CONFLICT' || conflicts >= 50) throw error
      conflicts++
    }
  }
}

try {
  const result =
    job === 'put-next'
      ? await putNext()
      : await registry.register(record(version as string), { actor: 'user:child' }).then((r) => ({ outcome: r.created ? 'created' : 'unchanged', version }))
  console.log(JSON.stringify({ ...result, digest }))
} catch (error) {
  const e = error as { code?: unknown; message?: unknown }
  console.log(JSON.stringify({ outcome: e?.code ?? 'error', message: String(e?.message ?? error), digest }))
} finally {
  await registry.close()
}
