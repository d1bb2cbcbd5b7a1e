import type { PluginContext } from '../contracts/plugin.js'
import type { Storage } from '../contracts/storage.js'
import { InvalidInputError, UnsupportedOperationError } from '../errors/index.js'
import type { ExternalReference, ReferenceReaders } from '../manager/external-reference.js'
import { normalizeEndpoint } from '../manager/external-reference.js'
import { type LoadPluginOptions, loadPlugin } from './plugin-loader.js'

const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/./

/**
 * Readers of `s3://` objects registered by reference, through the S3 storage plugin, whatever
 * the store itself is: one client per bucket and endpoint, allowed that bucket only, sending
 * unsigned requests (public buckets) unless AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set
 * for the same endpoint as S3_ENDPOINT_URL (both unset: AWS). Keys set for one endpoint are never
 * sent to another that a catalogue row names.
 */
export function createReferenceReaders(context: PluginContext, load: LoadPluginOptions): ReferenceReaders {
  const made = new Map<string, Promise<Storage>>()
  const env = context.env ?? {}
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name])
  return {
    storageFor(reference: Pick<ExternalReference, 'uri' | 'endpoint'>): Promise<Storage> {
      const bucket = S3_URI.exec(reference.uri)?.[1]
      if (bucket === undefined) {
        const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(reference.uri)?.[1]
        if (scheme !== undefined && scheme !== 's3') throw new UnsupportedOperationError(`no reference reader reads ${scheme}:// objects`)
        throw new InvalidInputError(`${JSON.stringify(reference.uri)} is not an s3://bucket/key URI`)
      }
      const endpoint = reference.endpoint
      const id = `${bucket} ${endpoint ?? ''}`
      let storage = made.get(id)
      if (!storage) {
        const keyId = value('AWS_ACCESS_KEY_ID')
        const secret = value('AWS_SECRET_ACCESS_KEY')
        const configured = comparableEndpoint(value('S3_ENDPOINT_URL'))
        // Keys go only to the endpoint they were given for (compared as recorded: normalised).
        const signed = keyId !== undefined && secret !== undefined && configured !== null && configured === (endpoint ?? '')
        const sessionToken = value('AWS_SESSION_TOKEN')
        const region = value('S3_REGION') ?? value('AWS_REGION') ?? value('AWS_DEFAULT_REGION')
        const section = {
          type: 's3',
          bucket,
          referenceBuckets: [bucket],
          // On AWS the bucket's region is not known in advance (cz-benchmarks-data's is nowhere in its catalogue).
          ...(endpoint ? { endpoint, forcePathStyle: true } : { followRegionRedirects: true }),
          ...(region ? { region } : {}),
          ...(signed ? { accessKeyId: keyId, secretAccessKey: secret, ...(sessionToken ? { sessionToken } : {}) } : { anonymous: true }),
        }
        storage = loadPlugin('storage', section, context, load)
        // A failed load (plugin missing) is not remembered: the next call says why again.
        storage.catch(() => made.delete(id))
        made.set(id, storage)
      }
      return storage
    },
    async close(): Promise<void> {
      const all = await Promise.allSettled(made.values())
      made.clear()
      await Promise.allSettled(all.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)))
    },
  }
}

/** S3_ENDPOINT_URL as an endpoint is recorded ('' when unset: AWS itself), or null when it does not parse (then nothing is signed). */
function comparableEndpoint(configured: string | undefined): string | null {
  if (configured === undefined || configured === '') return ''
  try {
    return normalizeEndpoint(/^[a-z][a-z0-9+.-]*:\/\//i.test(configured) ? configured : `https://${configured}`)
  } catch {
    return null
  }
}
