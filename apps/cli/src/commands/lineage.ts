import { AssetError, type BaseAssetManager, fileNameOf, type LineageEdge, type LineageResult } from '@assets/core'
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
    const graph = await manager.lineage(key, { version, direction, depth })
    return { ...graph, fileNames: await fileNames(manager, graph) }
  })
  ctx.out.result(result, () => renderLineage(result, direction, result.fileNames))
  return 0
}

/** The file name of every version in the graph that the actor may read, by `key@version`. */
async function fileNames(manager: BaseAssetManager, graph: LineageResult): Promise<Record<string, string>> {
  const nodes = new Map([graph.root, ...graph.edges.flatMap((e) => [e.from, e.to])].map((n) => [refOf(n), n]))
  const names: Record<string, string> = {}
  for (const [ref, node] of nodes) {
    try {
      names[ref] = fileNameOf(await manager.getMetadata(node.key, node.version))
    } catch (error) {
      if (!AssetError.isInstance(error)) throw error // not readable, or deleted: shown without a name
    }
  }
  return names
}

/**
 * An indented tree from the asset asked about: what it came from (`→ relation`, following
 * edges from each node) and what came from it (`← relation`, following edges into it).
 * A node reached twice is shown once more without its subtree.
 */
export function renderLineage(result: LineageResult, direction: 'up' | 'down' | 'both', names: Record<string, string> = {}): string {
  const named = (ref: string) => (names[ref] === undefined ? ref : `${ref}  ${names[ref]}`)
  const lines = [named(refOf(result.root))]
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
        const arrow = side === 'up' ? `${edge.relation} → ${named(next)}` : `← ${edge.relation} ${named(next)}`
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
