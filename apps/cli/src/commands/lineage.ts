import type { LineageEdge, LineageResult } from '@assets/core'
import { flagOption, integerOption, UsageError } from '../args.js'
import { parseRef } from '../asset-ref.js'
import type { CommandContext } from '../context.js'
import { withManager } from '../open-manager.js'
import { refOf } from '../record-view.js'

export async function lineage(ctx: CommandContext): Promise<number> {
  const { key, ref = 'latest' } = parseRef(ctx.positionals[0]!)
  const up = flagOption(ctx.values, 'up')
  const down = flagOption(ctx.values, 'down')
  if (up && down) throw new UsageError('give --up or --down, or neither for both directions')
  const direction = up ? 'up' : down ? 'down' : 'both'
  const depth = integerOption(ctx.values, 'depth', 1, 100)
  const result = await withManager(ctx.globals, async (manager) => {
    const version = (await manager.getMetadata(key, ref)).version
    return manager.lineage(key, { version, direction, depth })
  })
  ctx.out.result(result, () => renderLineage(result, direction))
  return 0
}

/**
 * An indented tree from the asset asked about: what it came from (`→ relation`, following
 * edges from each node) and what came from it (`← relation`, following edges into it).
 * A node reached twice is shown once more without its subtree.
 */
export function renderLineage(result: LineageResult, direction: 'up' | 'down' | 'both'): string {
  const lines = [refOf(result.root)]
  const sections: Array<['up' | 'down', string]> = []
  if (direction !== 'down') sections.push(['up', 'came from'])
  if (direction !== 'up') sections.push(['down', 'used by'])
  for (const [side, title] of sections) {
    const children = (node: string): LineageEdge[] =>
      result.edges.filter((e) => refOf(side === 'up' ? e.from : e.to) === node)
    const seen = new Set<string>([refOf(result.root)])
    const walk = (node: string, indent: string) => {
      const edges = children(node)
      edges.forEach((edge, i) => {
        const last = i === edges.length - 1
        const next = refOf(side === 'up' ? edge.to : edge.from)
        const arrow = side === 'up' ? `${edge.relation} → ${next}` : `← ${edge.relation} ${next}`
        const again = seen.has(next)
        lines.push(`${indent}${last ? '└─ ' : '├─ '}${arrow}${again ? ' (see above)' : ''}`)
        if (again) return
        seen.add(next)
        walk(next, indent + (last ? '   ' : '│  '))
      })
    }
    const before = lines.length
    lines.push(`${title}:`)
    walk(refOf(result.root), '  ')
    if (lines.length === before + 1) lines.push('  (nothing)')
  }
  return lines.join('\n')
}
