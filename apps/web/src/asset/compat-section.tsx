import { Link } from 'react-router'
import { assets } from '../api/endpoints'
import type { AssetRecord, CompatResult } from '../api/types'
import { Empty, ErrorNote, Loading } from '../components/status'
import { assetPath } from '../format'
import { useResource } from '../use-resource'

type Verdict = { dataset: AssetRecord } & ({ result: CompatResult } | { error: unknown } | { noSpec: true })

const DATASETS = 50
const AT_ONCE = 4

/** Runs `task` over `items`, at most `limit` at a time, answers in the items' order. */
async function mapLimited<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/**
 * For a model: the registered datasets (the first 50 the token may read) it fits, by the
 * server's compatibility checker (`POST /v1/check-compat`) on the specs stored with each.
 */
export function CompatSection({ model }: { model: AssetRecord }) {
  const hasSpec = model.specs !== undefined && model.specs !== null
  const verdicts = useResource(`compat:${model.key}@${model.version}:${hasSpec}`, async (): Promise<Verdict[]> => {
    if (!hasSpec) return []
    const page = await assets.find({ kind: 'dataset', limit: DATASETS })
    const verdicts = await mapLimited(page.items, AT_ONCE, async (dataset): Promise<Verdict> => {
      if (dataset.specs === undefined || dataset.specs === null) return { dataset, noSpec: true }
      try {
        return { dataset, result: await assets.checkCompat({ key: dataset.key, ref: dataset.version }, { key: model.key, ref: model.version }) }
      } catch (error) {
        return { dataset, error }
      }
    })
    // Those the checker could judge first: compatible, then incompatible, then the rest.
    return verdicts.sort((a, b) => rank(a) - rank(b))
  })
  return (
    <section aria-labelledby="compat-title">
      <h2 id="compat-title">Compatible datasets</h2>
      {!hasSpec ? (
        <p className="muted">This version was registered without a model spec, so the checker has nothing to compare. Register it with <code>--spec model.yaml</code>.</p>
      ) : verdicts.status === 'loading' ? (
        <Loading what="compatibility with the registered datasets" />
      ) : verdicts.status === 'error' ? (
        <ErrorNote error={verdicts.error} title="Datasets could not be listed" />
      ) : verdicts.data.length === 0 ? (
        <Empty>
          <p>No registered datasets you may read.</p>
        </Empty>
      ) : (
        <div className="table-scroll">
          <table className="compat" data-testid="compat-table">
            <caption className="visually-hidden">Datasets and whether this model fits them</caption>
            <thead>
              <tr>
                <th scope="col">Dataset</th>
                <th scope="col">Verdict</th>
                <th scope="col">First issue</th>
              </tr>
            </thead>
            <tbody>
              {verdicts.data.map((v) => (
                <tr key={`${v.dataset.key}@${v.dataset.version}`}>
                  <th scope="row">
                    <Link to={assetPath(v.dataset.key, v.dataset.version)}>
                      {v.dataset.key}@{v.dataset.version}
                    </Link>
                  </th>
                  <VerdictCells verdict={v} />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function rank(verdict: Verdict): number {
  if ('result' in verdict) return verdict.result.compatible ? 0 : 1
  return 'error' in verdict ? 2 : 3
}

function VerdictCells({ verdict }: { verdict: Verdict }) {
  if ('noSpec' in verdict)
    return (
      <>
        <td className="muted">unknown</td>
        <td className="muted">the dataset has no spec</td>
      </>
    )
  if ('error' in verdict)
    return (
      <>
        <td className="verdict bad">not checked</td>
        <td>{verdict.error instanceof Error ? verdict.error.message : String(verdict.error)}</td>
      </>
    )
  const first = verdict.result.issues.find((i) => i.severity === 'error') ?? verdict.result.issues[0]
  return (
    <>
      <td>
        <span className={`verdict ${verdict.result.compatible ? 'ok' : 'bad'}`}>{verdict.result.compatible ? 'compatible' : 'incompatible'}</span>
        {verdict.result.warnings > 0 ? <span className="muted"> ({verdict.result.warnings} warnings)</span> : null}
      </td>
      <td>{first ? first.message : <span className="muted">none</span>}</td>
    </>
  )
}
