import { createContext } from 'react'

/** Node colours by kind: the graph, its minimap and the legend use these. */
export const KIND_COLOURS: Record<string, string> = {
  dataset: '#2563eb',
  model: '#9333ea',
  config: '#d97706',
  output: '#059669',
  other: '#64748b',
  unknown: '#a1a1aa',
}

export const colourOf = (kind: string): string => KIND_COLOURS[kind] ?? KIND_COLOURS.unknown ?? '#a1a1aa'

/**
 * The kind of each key in the graph, as `GET /v1/info` answers arrive. The nodes read it from
 * here rather than from their data: a new nodes array on every answer would make xyflow take
 * every node in again (and lose edges whose handles it had measured).
 */
export const KindsContext = createContext<ReadonlyMap<string, string>>(new Map())
