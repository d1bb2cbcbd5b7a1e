import { Handle, type NodeProps, Position } from '@xyflow/react'
import { Link } from 'react-router'
import { assetPath } from '../format'
import { useContext } from 'react'
import { colourOf, KindsContext } from './kinds'
import type { LineageFlowNode } from './lineage-layout'

/** A version in the graph: a real link to its page, coloured by kind. */
export function VersionNode({ data }: NodeProps<LineageFlowNode>) {
  const kind = useContext(KindsContext).get(data.key) ?? 'unknown'
  return (
    <div className={`lineage-node${data.root ? ' root' : ''}`} style={{ borderColor: colourOf(kind), ['--kind' as string]: colourOf(kind) }}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <Link to={assetPath(data.key, data.version)} title={`${data.key}@${data.version} (${kind})`} aria-label={`${data.key}@${data.version}, ${kind}${data.root ? ', the version asked about' : ''}`}>
        <span className="node-key">{data.key}</span>
        <span className="node-version">@{data.version}</span>
      </Link>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  )
}
