import { temporaryFolder } from '@assets/testkit'
import { expect, it } from 'vitest'
import { runBenchmarkFlow } from '../src/index.js'

it('the benchmark flow links its outputs to the exact versions they came from', async () => {
  const lines: string[] = []
  const lineage = await runBenchmarkFlow(await temporaryFolder('flow'), (l) => lines.push(l))
  const direct = lineage.edges.filter((e) => e.depth === 1).map((e) => `${e.relation} ${e.to.key}@${e.to.version}`)
  expect(direct.sort()).toEqual([
    'configured_by configs/cell-type-task@1.0.0',
    'derived_from runs/demo/predictions@1.0.0',
    'evaluated_on datasets/pbmc-demo@1.0.0',
    'produced_by models/threshold-classifier@1.0.0',
  ])
  // The predictions are one step further up, linked to the same three inputs.
  expect(lineage.edges.filter((e) => e.depth === 2 && e.from.key === 'runs/demo/predictions')).toHaveLength(3)
  expect(lines.some((l) => /accuracy \d\.\d\d/.test(l))).toBe(true)
})
