import { type StorageObjectInfo, UnsupportedOperationError } from '@assets/core'
import { statusError } from './http-failure.js'
import type { HttpTransport } from './http-transport.js'
import { checkHttpLocation, describeRequest, folderUrl } from './object-url.js'

interface Entry {
  location: string
  folder: boolean
  size?: number
  lastModified?: Date
  etag?: string
}

const PROPFIND_BODY =
  '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>' +
  '<D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>'

/**
 * Every object whose location starts with `prefix` (a plain string prefix, as in S3), found by
 * walking folders with WebDAV `PROPFIND Depth: 1` (servers commonly refuse `Depth: infinity`).
 * Only folders that can hold a match are entered. Objects come folder by folder, in name order.
 */
export async function* listObjects(
  transport: HttpTransport,
  base: URL,
  prefix: string,
  statSize: (location: string) => Promise<number | undefined>,
): AsyncGenerator<StorageObjectInfo> {
  if (prefix !== '') checkHttpLocation(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'list prefix')
  const slash = prefix.lastIndexOf('/')
  yield* walk(transport, base, slash === -1 ? '' : prefix.slice(0, slash), prefix, statSize)
}

async function* walk(
  transport: HttpTransport,
  base: URL,
  folder: string,
  prefix: string,
  statSize: (location: string) => Promise<number | undefined>,
): AsyncGenerator<StorageObjectInfo> {
  for (const entry of await propfind(transport, base, folder)) {
    if (entry.folder) {
      const inside = `${entry.location}/`
      if (inside.startsWith(prefix) || prefix.startsWith(inside)) yield* walk(transport, base, entry.location, prefix, statSize)
    } else if (entry.location.startsWith(prefix)) {
      // Some servers leave the length out of a listing; ask for it then rather than guess.
      const size = entry.size ?? (await statSize(entry.location))
      if (size === undefined) continue
      const info: StorageObjectInfo = { location: entry.location, size }
      if (entry.lastModified !== undefined) info.lastModified = entry.lastModified
      if (entry.etag !== undefined) info.etag = entry.etag
      yield info
    }
  }
}

async function propfind(transport: HttpTransport, base: URL, folder: string): Promise<Entry[]> {
  const url = folderUrl(base, folder)
  const response = await transport.sendRetrying(() => ({
    method: 'PROPFIND',
    url,
    headers: { depth: '1', 'content-type': 'application/xml; charset=utf-8' },
    body: PROPFIND_BODY,
  }))
  if (response.status === 404) {
    await response.body.dump()
    return []
  }
  if (response.status === 405 || response.status === 501) {
    await response.body.dump()
    throw new UnsupportedOperationError(
      `http: the server does not answer WebDAV PROPFIND at ${url.origin}${url.pathname} (HTTP ${response.status}); set the list option to false`,
    )
  }
  if (response.status !== 207) {
    await response.body.dump()
    throw statusError(response.status, describeRequest('PROPFIND', url))
  }
  const entries = parseMultistatus(await response.body.text(), url, base).filter((e) => e.location !== folder && e.location !== '')
  return entries.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0))
}

// Element names are matched by local name: servers pick their own prefix for the DAV: namespace.
const element = (name: string) => new RegExp(`<(?:[\\w.-]+:)?${name}\\b[^>]*?(?:/>|>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}\\s*>)`, 'i')
const RESPONSE = /<(?:[\w.-]+:)?response\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?response\s*>/gi
const HREF = element('href')
const LENGTH = element('getcontentlength')
const MODIFIED = element('getlastmodified')
const ETAG = element('getetag')
const COLLECTION = /<(?:[\w.-]+:)?collection\b/i

/** The entries of a 207 Multi-Status answer, as locations relative to `base`; others' hrefs are dropped. */
export function parseMultistatus(xml: string, requested: URL, base: URL): Entry[] {
  const entries: Entry[] = []
  for (const [, body = ''] of xml.matchAll(RESPONSE)) {
    const href = decodeXml(HREF.exec(body)?.[1]?.trim() ?? '')
    if (href === '') continue
    const path = new URL(href, requested).pathname
    if (!path.startsWith(base.pathname)) continue
    const relative = path.slice(base.pathname.length).replace(/\/$/, '')
    let location: string
    try {
      location = relative.split('/').map(decodeURIComponent).join('/')
    } catch {
      continue
    }
    const entry: Entry = { location, folder: COLLECTION.test(body) }
    const length = LENGTH.exec(body)?.[1]?.trim()
    if (length !== undefined && /^\d+$/.test(length)) entry.size = Number(length)
    const modified = MODIFIED.exec(body)?.[1]?.trim()
    if (modified !== undefined && modified !== '' && !Number.isNaN(Date.parse(modified))) entry.lastModified = new Date(modified)
    const etag = ETAG.exec(body)?.[1]?.trim()
    if (etag !== undefined && etag !== '') entry.etag = decodeXml(etag)
    entries.push(entry)
  }
  return entries
}

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&amp;/g, '&')
}
