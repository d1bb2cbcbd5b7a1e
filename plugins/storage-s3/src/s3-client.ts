import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { checkEndpoint, ConfigInvalidError } from '@assets/core'
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { DEFAULT_CONCURRENCY, DEFAULT_FOLDER_CONCURRENCY, DEFAULT_RANGE_CONCURRENCY, DEFAULT_REQUEST_TIMEOUT_MS, type S3StorageEnvironment, type S3StorageOptions } from './s3-options.js'

/** The endpoint as a URL (http(s)://host:port), after the insecure-transport check. */
export function resolveEndpoint(options: S3StorageOptions, env: S3StorageEnvironment): URL | undefined {
  const allowInsecure = env.allowInsecureStorage ?? false
  if (options.endpoint === undefined) {
    if (options.useSsl === false) checkEndpoint('s3', 'useSsl', 'http://s3.amazonaws.com', allowInsecure)
    return undefined
  }
  const raw = /^[a-z][a-z0-9+.-]*:\/\//i.test(options.endpoint) ? options.endpoint : `${options.useSsl === false ? 'http' : 'https'}://${options.endpoint}`
  return checkEndpoint('s3', 'endpoint', raw, allowInsecure)
}

function credentialsOf(options: S3StorageOptions): S3ClientConfig['credentials'] {
  const { accessKeyId, secretAccessKey, sessionToken } = options
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigInvalidError([
      { field: 's3.accessKeyId', message: 'accessKeyId (AWS_ACCESS_KEY_ID) and secretAccessKey (AWS_SECRET_ACCESS_KEY) go together: set both or neither' },
    ])
  }
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
}

/**
 * Builds the SDK client; nothing connects until the first request. The SDK's own retries are
 * off (one attempt): every call goes through core's withRetry so that parts, ranges and
 * resumed streams retry the same way, with jitter.
 */
export function createS3Client(options: S3StorageOptions, env: S3StorageEnvironment): S3Client {
  const endpoint = resolveEndpoint(options, env)
  const credentials = credentialsOf(options)
  // Keep-alive sockets for every request a transfer or a folder's objects keep in flight, with room to spare.
  const inFlight = Math.max(
    options.concurrency ?? DEFAULT_CONCURRENCY,
    options.rangeConcurrency ?? DEFAULT_RANGE_CONCURRENCY,
    options.folderConcurrency ?? DEFAULT_FOLDER_CONCURRENCY,
    4,
  )
  const sockets = inFlight * 2
  const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const checksum = options.checksum === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED'
  const config: S3ClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    maxAttempts: 1,
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: Math.min(timeout, 10_000),
      // An idle socket (no byte either way, headers or body) fails with TimeoutError, which is
      // retried. The handler's `requestTimeout` only logs a warning unless told to throw.
      socketTimeout: timeout,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: sockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: sockets }),
    }),
  }
  if (endpoint) config.endpoint = endpoint.origin + endpoint.pathname.replace(/\/+$/, '')
  if (options.endpoint === undefined && options.useSsl === false) config.tls = false
  // A public bucket read by reference may live in any region; the SDK then asks again there.
  if (options.followRegionRedirects) config.followRegionRedirects = true
  if (options.anonymous) {
    // Public buckets: send requests unsigned, and never look for credentials.
    config.credentials = { accessKeyId: '', secretAccessKey: '' }
    config.signer = { sign: async (request) => request }
  } else if (credentials) {
    config.credentials = credentials
  }
  // The SDK warns once per process, on stderr, that its releases after January 2027 need
  // Node 22: news for whoever maintains this plugin, not for its users, and it broke the
  // one-JSON-error stderr of `assets --json`. This is the SDK's documented switch, read when a
  // client is made; a value the user set is kept.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  return new S3Client(config)
}
