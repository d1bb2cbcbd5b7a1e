import { type ExternalObject, InvalidInputError } from '@assets/core'
import { checkAgainstHub, digestsFor } from './file-transfer.js'
import { toAssetError } from './hub-errors.js'
import { hubRead } from './hub-request.js'
import { describeTarget, type HubTarget } from './hub-target.js'
import { checkRepoPath } from './repo-path.js'
import { requestResolve } from './resolve-request.js'

const HF_URI = /^hf:\/\/(?:(models|datasets|spaces)\/)?([^/@]+\/[^/@]+)(?:@([^/]+))?\/(.+)$/

/**
 * Describes a file of this storage's repository named by the hub's own URI form,
 * `hf://[datasets/|spaces/]namespace/name[@revision]/path`, reading it once to hash it. The
 * answer's `location` is the path, so the URI must name the configured repository and revision.
 */
export async function describeHubFile(target: HubTarget, uri: string, signal?: AbortSignal): Promise<ExternalObject> {
  const match = HF_URI.exec(uri)
  if (match === null) throw new InvalidInputError(`huggingface: ${JSON.stringify(uri)} is not an hf://[datasets/|spaces/]namespace/name[@revision]/path URI`)
  const type = { models: 'model', datasets: 'dataset', spaces: 'space' }[match[1] ?? 'models']
  const revision = match[3] === undefined ? target.revision : decodeURIComponent(match[3])
  if (type !== target.type || match[2] !== target.id || revision !== target.revision) {
    throw new InvalidInputError(`huggingface: ${uri} is not in ${describeTarget(target)}; configure a storage for that repository and revision`)
  }
  const path = checkRepoPath(decodeURIComponent(match[4]!))
  const scope = { what: `read of ${path} to describe it` }
  const resolved = await hubRead(target, scope, () => requestResolve(target, revision, path, { signal }), signal)
  const digests = digestsFor(resolved)
  let size = 0
  try {
    for await (const chunk of (resolved.response.body ?? []) as AsyncIterable<Uint8Array>) {
      signal?.throwIfAborted()
      digests.update(chunk)
      size += chunk.length
    }
  } catch (error) {
    throw toAssetError(target, scope, error)
  }
  const actual = { size, ...digests.finish() }
  const hubDigest = resolved.lfs ? { sha256: resolved.etag } : { gitBlobId: resolved.etag }
  checkAgainstHub(`huggingface: ${uri}`, { ...hubDigest, size: resolved.totalSize }, actual)
  return { location: path, size, digest: actual.digest, etag: resolved.etag, versionId: resolved.commit }
}
