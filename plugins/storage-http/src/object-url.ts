import { checkLocation } from '@assets/core'

/** Throws InvalidKeyError unless `location` is a relative path that cannot leave the base URL. */
export function checkHttpLocation(location: string, what = 'location'): string {
  return checkLocation('http', location, what)
}

/** The URL of the object at `location` under `base` (which ends in `/`), every segment percent-encoded. */
export function objectUrl(base: URL, location: string): URL {
  const path = checkHttpLocation(location).split('/').map(encodeURIComponent).join('/')
  return new URL(path, base)
}

/** The URL of the folder `folder` (`''` for the root, else without a trailing slash), ending in `/`. */
export function folderUrl(base: URL, folder: string): URL {
  return folder === '' ? new URL(base) : new URL(`${objectUrl(base, folder).pathname}/`, base)
}

/** `GET https://host/path` without query or credentials: what messages name. */
export function describeRequest(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`
}
