import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalCache } from '@assets/cache-local'
import { BaseAssetManager, type LineageResult } from '@assets/core'
import { createSqliteRegistry } from '@assets/registry-sqlite'
import { createLocalStorage } from '@assets/storage-local'

/**
 * A benchmarking run on a stack composed in code: the plugins are picked here, not by config.
 * Registers a dataset, a model and a task config, runs a stand-in model step on exact versions,
 * stores its outputs linked to them, and returns the run output's lineage.
 */
export async function runBenchmarkFlow(home: string, log: (line: string) => void = () => {}): Promise<LineageResult> {
  const assets = new BaseAssetManager(
    {
      storage: createLocalStorage({ path: join(home, 'objects') }),
      registry: createSqliteRegistry({ path: join(home, 'catalogue.db') }),
      cache: createLocalCache({ path: join(home, 'cache'), maxBytes: 1 << 30 }),
    },
    { user: 'benchmark-bot', roles: ['admin'] },
  )
  try {
    const inputs = join(home, 'inputs')
    await mkdir(join(inputs, 'model'), { recursive: true })
    const cells = Array.from({ length: 50 }, (_, i) => `cell${i}\t${i % 3 === 0 ? 'T cell' : 'B cell'}\t${(i * 37) % 101}`)
    await writeFile(join(inputs, 'pbmc.tsv'), `cell\tcell_type\tCD3E\n${cells.join('\n')}\n`)
    await writeFile(join(inputs, 'model', 'config.json'), JSON.stringify({ threshold: 50 }))
    await writeFile(join(inputs, 'model', 'weights.bin'), Buffer.alloc(4096, 7))
    await writeFile(join(inputs, 'task.yaml'), 'task: cell_type_annotation\nlabel: cell_type\nmetric: accuracy\n')

    const dataset = await assets.put('datasets/pbmc-demo', join(inputs, 'pbmc.tsv'), { organism: 'human', n_cells: 50 }, {
      kind: 'dataset',
      specs: { name: 'pbmc-demo', specs: [{ name: 'expression', modality: 'rna', semantic: 'EDAM:3112', formats: ['tsv'] }] },
      provenance: { source: 'generated', license: 'CC0-1.0' },
    })
    const model = await assets.put('models/threshold-classifier', join(inputs, 'model'), { framework: 'none' }, {
      kind: 'model',
      specs: { name: 'threshold-classifier', compute: { use_gpu: false, cpu_cores: 1, ram_mb: 512 } },
    })
    const task = await assets.put('configs/cell-type-task', join(inputs, 'task.yaml'), {}, { kind: 'config' })
    log(`registered ${dataset.key}@${dataset.version}, ${model.key}@${model.version}, ${task.key}@${task.version}`)

    // The stand-in model step reads its inputs through the manager, by exact version.
    const table = (await readFile(await assets.get(dataset.key, dataset.version), 'utf8')).trim().split('\n').slice(1)
    const { threshold } = JSON.parse(await readFile(join(await assets.get(model.key, model.version), 'config.json'), 'utf8')) as { threshold: number }
    const predictions = table.map((row) => {
      const [cell, truth, cd3e] = row.split('\t')
      return { cell, truth, predicted: Number(cd3e) > threshold ? 'T cell' : 'B cell' }
    })
    const accuracy = predictions.filter((p) => p.truth === p.predicted).length / predictions.length

    const runDir = join(home, 'run')
    await mkdir(runDir, { recursive: true })
    await writeFile(join(runDir, 'predictions.json'), JSON.stringify(predictions))
    const from = [
      { relation: 'evaluated_on', key: dataset.key, version: dataset.version },
      { relation: 'produced_by', key: model.key, version: model.version },
      { relation: 'configured_by', key: task.key, version: task.version },
    ]
    const output = await assets.put('runs/demo/predictions', join(runDir, 'predictions.json'), { accuracy }, {
      kind: 'output',
      relationships: from,
      expiresAt: new Date(Date.now() + 7 * 86_400_000),
    })
    const runId = createHash('sha256').update(output.digest).digest('hex').slice(0, 8)
    await writeFile(join(runDir, 'metrics.json'), JSON.stringify({ accuracy, run: runId }))
    await assets.put('runs/demo/metrics', join(runDir, 'metrics.json'), { accuracy, metric: 'accuracy' }, {
      kind: 'output',
      relationships: [...from, { relation: 'derived_from', key: output.key, version: output.version }],
    })
    log(`accuracy ${accuracy.toFixed(2)} stored as runs/demo/metrics`)

    const lineage = await assets.lineage('runs/demo/metrics', { direction: 'up' })
    for (const e of lineage.edges) log(`${'  '.repeat(e.depth - 1)}${e.from.key}@${e.from.version} --${e.relation}--> ${e.to.key}@${e.to.version}`)
    return lineage
  } finally {
    await assets.close()
  }
}
