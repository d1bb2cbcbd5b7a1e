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
