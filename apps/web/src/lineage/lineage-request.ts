import { assets, type Direction } from '../api/endpoints'
import { storedToken } from '../api/session-token'
import type { LineageResult } from '../api/types'

/** What a lineage page at `/lineage/<key>?v=&depth=&direction=` asks the server for. */
export interface LineageRequest {
  key: string
  version?: string
  depth: number
  direction: Direction
}

export function lineageRequest(key: string, params: URLSearchParams): LineageRequest {
  const version = params.get('v') ?? undefined
  const depth = Math.min(100, Math.max(1, Math.trunc(Number(params.get('depth'))) || 2))
  const direction = (['up', 'down', 'both'].includes(params.get('direction') ?? '') ? params.get('direction') : 'both') as Direction
  return { key, ...(version ? { version } : {}), depth, direction }
}

/** The request's identity: the same page asks the same. */
export const requestId = (r: LineageRequest) => `lineage:${r.key}@${r.version}:${r.direction}:${r.depth}`

export const loadLineage = (r: LineageRequest): Promise<LineageResult> =>
  assets.lineage(r.key, { ...(r.version ? { version: r.version } : {}), direction: r.direction, depth: r.depth })

let early: { id: string; answer: Promise<LineageResult> } | undefined

/**
 * A lineage page opened directly (a link, a reload) asks for its graph as the app starts, while
 * the graph libraries' chunk loads and the session is checked, instead of after both.
 */
export function askEarly(pathname: string, search: string): void {
  if (!pathname.startsWith('/lineage/') || storedToken() === undefined) return
  let key: string
  try {
    key = decodeURIComponent(pathname.slice('/lineage/'.length))
  } catch {
    return
  }
  const request = lineageRequest(key, new URLSearchParams(search))
  const answer = loadLineage(request)
  // Taken by the page, or dropped: an early failure is the page's to show when it asks itself.
  answer.catch(() => undefined)
  early = { id: requestId(request), answer }
}

/** The early answer to this request, once: a later visit (or a reload of the view) asks again. */
export function takeEarly(request: LineageRequest): Promise<LineageResult> | undefined {
  if (early?.id !== requestId(request)) return undefined
  const { answer } = early
  early = undefined
  return answer
}
