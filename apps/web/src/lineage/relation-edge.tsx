import { type Edge, type EdgeProps, getBezierPath } from '@xyflow/react'
import { memo } from 'react'

export type RelationFlowEdge = Edge<Record<string, never>, 'relation'>

/**
 * An edge drawn as a curve with its relation as plain SVG text, centred without measuring it.
 * xyflow's own edges measure each label (`getBBox`) after they mount, to size a background box,
 * and draw it again once measured: at 500 edges, 500 forced measurements and 500 more renders
 * before the graph settles. Here the text gets its legibility from a halo (CSS `paint-order`,
 * styles.css) and is drawn once. There is no wide invisible hit path either: edges are not
 * clickable here (a version's page is one click on its node).
 */
export const RelationEdge = memo(function RelationEdge({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, label, markerEnd, style }: EdgeProps<RelationFlowEdge>) {
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition })
  return (
    <>
      <path d={path} fill="none" className="react-flow__edge-path" markerEnd={markerEnd} style={style} />
      {label ? (
        <text x={labelX} y={labelY} className="react-flow__edge-text relation-label" textAnchor="middle" dominantBaseline="central">
          {label}
        </text>
      ) : null}
    </>
  )
})
