import { Handle, type NodeProps, Position } from '@xyflow/react'
import { Link } from 'react-router'
import { assetPath } from '../format'
import { colourOf } from './kinds'
import type { LineageFlowNode } from './lineage-layout'

/** A version in the graph: a real link to its page, coloured by kind. */
export function VersionNode({ data }: NodeProps<LineageFlowNode>) {
  return (
    <div className={`lineage-node${data.root ? ' root' : ''}`} style={{ borderColor: colourOf(data.kind), ['--kind' as string]: colourOf(data.kind) }}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <Link to={assetPath(data.key, data.version)} title={`${data.key}@${data.version} (${data.kind})`} aria-label={`${data.key}@${data.version}, ${data.kind}${data.root ? ', the version asked about' : ''}`}>
        <span className="node-key">{data.key}</span>
        <span className="node-version">@{data.version}</span>
      </Link>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  )
}
