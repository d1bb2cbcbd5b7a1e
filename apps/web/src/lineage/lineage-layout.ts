import { Graph, layout } from '@dagrejs/dagre'
import type { Node } from '@xyflow/react'
import type { LineageEdge, VersionRef } from '../api/types'
import type { RelationFlowEdge } from './relation-edge'

/** Versions above which the layout takes dagre's quicker options (see layoutLineage). */
const LARGE = 150

export const NODE_WIDTH = 176
export const NODE_HEIGHT = 34

export interface LineageNodeData extends Record<string, unknown> {
  key: string
  version: string
  root: boolean
}

export type LineageFlowNode = Node<LineageNodeData, 'version'>

export const idOf = (ref: VersionRef) => `${ref.key}@${ref.version}`

/**
 * The versions and edges of a lineage answer, placed by dagre left to right: what a version
 * came from (the edge's `to`) on the left, the version made from it on the right, so that
 * arrows follow the data. Positions are xyflow's top-left corners.
 */
export interface LineageLayout {
  nodes: LineageFlowNode[]
  edges: RelationFlowEdge[]
}

export function layoutLineage(root: VersionRef, edges: LineageEdge[]): LineageLayout {
  const refs = new Map<string, VersionRef>([[idOf(root), root]])
  for (const e of edges) {
    refs.set(idOf(e.from), e.from)
    refs.set(idOf(e.to), e.to)
  }
  const graph = new Graph({ multigraph: true })
  // Above LARGE versions, dagre's quicker choices: its crossing-reduction passes (half its time at
  // 500 versions: 0.2 s on these cores) and the network-simplex ranker give way to the initial
  // order and longest-path ranks, 3 × faster in all. Lineage graphs are shallow and tree-like,
  // where both choices cost little legibility; smaller graphs keep dagre's best layout.
  const large = refs.size > LARGE
  graph.setGraph({ rankdir: 'LR', nodesep: 20, ranksep: 40, edgesep: 8, marginx: 10, marginy: 10, ...(large ? { ranker: 'longest-path' } : {}) })
  graph.setDefaultEdgeLabel(() => ({}))
  for (const id of refs.keys()) graph.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT })
  const flowEdges: RelationFlowEdge[] = []
  const seen = new Set<string>()
  for (const e of edges) {
    const source = idOf(e.to)
    const target = idOf(e.from)
    const id = `${source}->${e.relation}->${target}`
    // Both directions of a `both` answer may list one edge twice.
    if (seen.has(id)) continue
    seen.add(id)
    // The label's size, so that dagre leaves room for it (and keeps long edges off other nodes).
    graph.setEdge(source, target, { width: 70, height: 14, labelpos: 'c' }, id)
    flowEdges.push({ id, source, target, label: e.relation, type: 'relation', markerEnd: { type: 'arrowclosed', width: 14, height: 14 } })
  }
  layout(graph, large ? { disableOptimalOrderHeuristic: true } : {})
  const nodes: LineageFlowNode[] = [...refs.entries()].map(([id, ref]) => {
    const placed = graph.node(id)
    return {
      id,
      type: 'version',
      position: { x: (placed?.x ?? 0) - NODE_WIDTH / 2, y: (placed?.y ?? 0) - NODE_HEIGHT / 2 },
      data: { key: ref.key, version: ref.version, root: id === idOf(root) },
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
    }
  })
  return { nodes, edges: flowEdges }
}
