import { Background, Controls, type EdgeTypes, MiniMap, type NodeTypes, ReactFlow, useStore } from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import { type FormEvent, useEffect, useMemo, useState } from 'react'
import { Link, useNavigate, useParams, useSearchParams } from 'react-router'
import { assets, type Direction } from '../api/endpoints'
import type { LineageResult } from '../api/types'
import { Empty, ErrorNote, Loading } from '../components/status'
import { assetPath } from '../format'
import { colourOf, KIND_COLOURS, KindsContext } from '../lineage/kinds'
import { idOf, type LineageFlowNode, layoutLineage } from '../lineage/lineage-layout'
import { lineageRequest, loadLineage, requestId, takeEarly } from '../lineage/lineage-request'
import { RelationEdge, type RelationFlowEdge } from '../lineage/relation-edge'
import { VersionNode } from '../lineage/version-node'
import { useDocumentTitle } from '../use-document-title'
import { useResource } from '../use-resource'

const nodeTypes: NodeTypes = { version: VersionNode }
const edgeTypes: EdgeTypes = { relation: RelationEdge }
const DEPTHS = [1, 2, 3, 4, 5, 10, 20]
const DIRECTIONS: { value: Direction; label: string }[] = [
  { value: 'both', label: 'Both ways' },
  { value: 'up', label: 'Up: what it came from' },
  { value: 'down', label: 'Down: what came from it' },
]
const AT_ONCE = 6

/**
 * The kind of each key in the graph, filled in as `GET /v1/info` answers (a few at a time, one
 * per key: lineage edges name versions only). Until then a node is drawn as `unknown`.
 */
function useKinds(lineage: LineageResult): ReadonlyMap<string, string> {
  const [kinds, setKinds] = useState<ReadonlyMap<string, string>>(new Map())
  useEffect(() => {
    const keys = [...new Set([lineage.root.key, ...lineage.edges.flatMap((e) => [e.from.key, e.to.key])])]
    const found = new Map<string, string>()
    let stopped = false
    let next = 0
    const worker = async () => {
      while (next < keys.length && !stopped) {
        const key = keys[next++] as string
        const info = await assets.info(key).catch(() => undefined)
        if (info) found.set(key, info.kind)
        // A new map every few answers: the graph recolours in steps, not once per request.
        if (!stopped && (found.size % 25 === 0 || next >= keys.length)) setKinds(new Map(found))
      }
    }
    setKinds(new Map())
    void Promise.all(Array.from({ length: Math.min(AT_ONCE, keys.length) }, worker)).then(() => !stopped && setKinds(new Map(found)))
    return () => {
      stopped = true
    }
  }, [lineage])
  return kinds
}

/** `/lineage/<key>?v=&depth=&direction=`: the graph of versions around one, through what the token may read. */
export default function LineagePage() {
  const key = useParams()['*'] ?? ''
  const [params, setParams] = useSearchParams()
  const request = lineageRequest(key, params)
  const { version, depth, direction } = request
  useDocumentTitle(`Lineage of ${key}${version ? `@${version}` : ''}`)

  const graph = useResource(requestId(request), () => takeEarly(request) ?? loadLineage(request))

  const change = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const next = new URLSearchParams(params)
    next.set('depth', String(form.get('depth') ?? depth))
    next.set('direction', String(form.get('direction') ?? direction))
    setParams(next)
  }

  return (
    <div className="lineage-page">
      <h1>
        Lineage of <Link to={assetPath(key, version)}>{version ? `${key}@${version}` : key}</Link>
      </h1>
      <form className="lineage-controls" onSubmit={change} key={params.toString()} aria-label="Lineage depth and direction">
        <div className="field">
          <label htmlFor="depth">Depth</label>
          <select id="depth" name="depth" defaultValue={String(depth)}>
            {[...new Set([...DEPTHS, depth])]
              .sort((a, b) => a - b)
              .map((d) => (
                <option key={d} value={d}>
                  {d} step{d === 1 ? '' : 's'}
                </option>
              ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="direction">Direction</label>
          <select id="direction" name="direction" defaultValue={direction}>
            {DIRECTIONS.map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
        <div className="actions">
          <button type="submit">Show</button>
        </div>
      </form>
      <Legend />
      {graph.status === 'loading' ? <Loading what="the lineage" /> : null}
      {graph.status === 'error' ? <ErrorNote error={graph.error} title="The lineage could not be read" /> : null}
      {graph.status === 'ready' ? <LineageGraph lineage={graph.data} direction={direction} /> : null}
    </div>
  )
}

/**
 * Above this many versions, everything fitted at once is too small to read: the first view is
 * the asked-about version at a legible zoom, and the minimap (or the fit button) shows the rest.
 */
const FIT_ALL = 60
const FIRST_ZOOM = 0.8
/** Fitting never shrinks labels below this (a phone shows part of a wide graph, to pan). */
const LEGIBLE_ZOOM = 0.5

function LineageGraph({ lineage, direction }: { lineage: LineageResult; direction: Direction }) {
  const navigate = useNavigate()
  const kinds = useKinds(lineage)
  const layout = useMemo(() => layoutLineage(lineage.root, lineage.edges), [lineage])
  const large = layout.nodes.length > FIT_ALL
  return (
    <>
      <p className="summary" role="status">
        {layout.nodes.length} version{layout.nodes.length === 1 ? '' : 's'}, {layout.edges.length} edge{layout.edges.length === 1 ? '' : 's'}
        {large ? ': the view starts at the version asked about; zoom out or use the overview for the rest' : ''}.
      </p>
      {layout.edges.length === 0 ? (
        <Empty>
          <p>
            No relationships {direction === 'up' ? 'upwards' : direction === 'down' ? 'downwards' : ''} that you may read. Try the other direction or more depth; relationships are recorded at registration (
            <code>assets put … --relate derived_from=key@version</code>).
          </p>
        </Empty>
      ) : null}
      <KindsContext value={kinds}>
        <div className="lineage-graph" data-testid="lineage-graph">
          <ReactFlow<LineageFlowNode, RelationFlowEdge>
            nodes={layout.nodes}
            edges={layout.edges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            fitView
            // Nodes off screen are never measured (only visible ones render): fit by their declared size.
            fitViewOptions={large ? { nodes: [{ id: idOf(lineage.root) }], minZoom: FIRST_ZOOM, maxZoom: FIRST_ZOOM, includeHiddenNodes: true } : { padding: 0.15, minZoom: LEGIBLE_ZOOM, includeHiddenNodes: true }}
            minZoom={0.02}
            maxZoom={2}
            onlyRenderVisibleElements
            nodesDraggable={false}
            nodesConnectable={false}
            nodesFocusable={false}
            edgesFocusable={false}
            onNodeClick={(_, node) => navigate(assetPath(node.data.key, node.data.version))}
            aria-label="Lineage graph"
          >
            <Background gap={24} />
            <Controls showInteractive={false} fitViewOptions={{ padding: 0.05, includeHiddenNodes: true }} />
            <OverviewAfterGraph kinds={kinds} />
          </ReactFlow>
        </div>
      </KindsContext>
      {layout.edges.length > 0 ? <EdgeList lineage={lineage} /> : null}
    </>
  )
}

/**
 * The minimap, once the graph is on screen. It draws every version and follows each of them in
 * xyflow's store, which at 500 versions doubled the time to the first drawn graph on two busy
 * cores; it comes a frame after xyflow has placed the view (its transform set by the first fit),
 * or after a second whatever happens.
 */
function OverviewAfterGraph({ kinds }: { kinds: ReadonlyMap<string, string> }) {
  const placed = useStore((state) => state.transform[0] !== 0 || state.transform[1] !== 0 || state.transform[2] !== 1)
  const [shown, setShown] = useState(false)
  useEffect(() => {
    if (shown) return
    let timer: ReturnType<typeof setTimeout> | undefined
    let frame: number | undefined
    // The next animation frame comes before the paint of the placed graph; a task queued from it runs after.
    if (placed) frame = requestAnimationFrame(() => (timer = setTimeout(() => setShown(true), 0)))
    const fallback = setTimeout(() => setShown(true), 1000)
    return () => {
      if (frame !== undefined) cancelAnimationFrame(frame)
      clearTimeout(timer)
      clearTimeout(fallback)
    }
  }, [placed, shown])
  if (!shown) return null
  return <MiniMap pannable zoomable nodeColor={(node) => colourOf(kinds.get((node.data as { key: string }).key) ?? 'unknown')} ariaLabel="Overview of the lineage graph" />
}

function Legend() {
  return (
    <section className="legend" aria-label="Legend">
      <ul>
        {Object.entries(KIND_COLOURS).map(([kind, colour]) => (
          <li key={kind}>
            <span className="swatch" style={{ background: colour }} aria-hidden="true" /> {kind}
          </li>
        ))}
      </ul>
      <p className="hint">Arrows run from what a version came from to the version made from it; labels name the relation. Drag to pan, scroll or use the buttons to zoom.</p>
    </section>
  )
}

/** The same edges as a list of links: for keyboards and screen readers, and for finding one by name. */
function EdgeList({ lineage }: { lineage: LineageResult }) {
  // The rows are made when the list is opened: 500 rows nobody asked to see would delay the graph.
  const [open, setOpen] = useState(false)
  return (
    <details className="edge-list" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>All {lineage.edges.length} edges as a list</summary>
      {open ? <EdgeTable lineage={lineage} /> : null}
    </details>
  )
}

function EdgeTable({ lineage }: { lineage: LineageResult }) {
  return (
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Relation</th>
              <th scope="col">Of</th>
              <th scope="col" className="num">
                Depth
              </th>
            </tr>
          </thead>
          <tbody>
            {lineage.edges.map((e) => (
              <tr key={`${idOf(e.from)}-${e.relation}-${idOf(e.to)}`}>
                <td>
                  <Link to={assetPath(e.from.key, e.from.version)}>{idOf(e.from)}</Link>
                </td>
                <td>{e.relation}</td>
                <td>
                  <Link to={assetPath(e.to.key, e.to.version)}>{idOf(e.to)}</Link>
                </td>
                <td className="num">{e.depth}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
  )
}
