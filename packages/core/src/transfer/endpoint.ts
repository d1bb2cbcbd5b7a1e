import { ConfigInvalidError } from '../errors/index.js'

/**
 * Parses a backend endpoint and refuses plain `http://` unless insecure storage was allowed
 * (`ALLOW_INSECURE_STORAGE=true`): credentials and content would cross the network in clear.
 * The returned URL never carries user info, so it is safe to put in messages.
 */
export function checkEndpoint(backend: string, option: string, endpoint: string, allowInsecure: boolean): URL {
  const refuse = (message: string, cause?: unknown): never => {
    throw new ConfigInvalidError([{ field: `${backend}.${option}`, message }], cause === undefined ? {} : { cause })
  }
  let url: URL | undefined
  try {
    url = new URL(endpoint)
  } catch (cause) {
    refuse('is not a URL', cause)
  }
  if (url === undefined) return refuse('is not a URL')
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse(`must be an http(s) URL, not ${url.protocol}`)
  if (url.username !== '' || url.password !== '') refuse("must not carry credentials; use the plugin's credential options")
  if (url.protocol === 'http:' && !allowInsecure) {
    refuse(
      `${url.origin} is plain http://, which sends data and credentials unencrypted; use https:// or set ALLOW_INSECURE_STORAGE=true`,
    )
  }
  return url
}
