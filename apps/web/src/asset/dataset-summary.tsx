import { useState } from 'react'
import { assets, DATASET_FORMATS, type DatasetFormat } from '../api/endpoints'
import type { AssetRecord, ValidationReport } from '../api/types'
import { ErrorNote } from '../components/status'
import { formatCount } from '../format'

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [])

/** The obs columns: `obs_columns` of AnnData, or the column → dtype map of a table. */
function columnsOf(metadata: Record<string, unknown>): string[] {
  if (Array.isArray(metadata.obs_columns)) return strings(metadata.obs_columns)
  const columns = metadata.columns
  return columns && typeof columns === 'object' && !Array.isArray(columns) ? Object.keys(columns) : []
}

function List({ items, empty }: { items: string[]; empty: string }) {
  if (items.length === 0) return <span className="muted">{empty}</span>
  return (
    <ul className="inline-list">
      {items.map((item) => (
        <li key={item}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  )
}

/**
 * What `assets put --kind dataset` recorded from validating the file (the summary fields in its
 * metadata): a version is registered only once it passed, so the verdict is "valid", with the
 * schemas it was checked against and its warnings.
 */
export function DatasetSummary({ record }: { record: AssetRecord }) {
  const m = record.metadata
  const schemas = strings(m.schema)
  const warnings = strings(m.validation_warnings)
  const organism = typeof m.organism_name === 'string' ? `${m.organism_name}${m.organism ? ` (${String(m.organism)})` : ''}` : m.organism ? String(m.organism) : undefined
  const shape = m.n_obs !== undefined || m.n_vars !== undefined ? `${formatCount(m.n_obs)} cells × ${formatCount(m.n_vars)} genes` : m.n_rows !== undefined ? `${formatCount(m.n_rows)} rows` : undefined
  // A put through the dataset manager records what it validated; a plain `assets put --kind dataset` records none of it.
  const validated = shape !== undefined || m.format !== undefined || schemas.length > 0
  return (
    <section aria-labelledby="validation-title" data-testid="dataset-summary">
      <h2 id="validation-title">Validation summary</h2>
      <dl className="facts">
        <dt>Shape</dt>
        <dd>{shape ?? <span className="muted">not recorded</span>}</dd>
        <dt>Format</dt>
        <dd>{m.format ? String(m.format) : <span className="muted">not recorded</span>}</dd>
        <dt>X</dt>
        <dd>{m.x_encoding || m.x_dtype ? `${String(m.x_encoding ?? '?')} · ${String(m.x_dtype ?? '?')}` : <span className="muted">not recorded</span>}</dd>
        <dt>Obs columns</dt>
        <dd>
          <List items={columnsOf(m)} empty="none recorded" />
        </dd>
        <dt>Layers</dt>
        <dd>
          <List items={strings(m.layers)} empty="none" />
        </dd>
        <dt>Organism</dt>
        <dd>{organism ?? <span className="muted">not recorded</span>}</dd>
        <dt>Schema verdict</dt>
        <dd>
          {validated ? <span className="verdict ok">valid at registration</span> : <span className="muted">not validated at registration (put without the dataset manager); validate it on the server below</span>}{' '}
          {!validated ? null : schemas.length > 0 ? (
            <>
              against <List items={schemas} empty="" />
            </>
          ) : (
            <span className="muted">(structure only: no schema was named)</span>
          )}
          {warnings.length > 0 ? (
            <details>
              <summary>
                {warnings.length} warning{warnings.length === 1 ? '' : 's'}
              </summary>
              <ul>
                {warnings.map((w) => (
                  <li key={w}>
                    <code>{w}</code>
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </dd>
      </dl>
      <ValidateAgain record={record} validated={validated} />
    </section>
  )
}

/** `POST /v1/validate/<key>?ref=`: the server re-reads the version and validates it now. */
function ValidateAgain({ record, validated }: { record: AssetRecord; validated: boolean }) {
  const [state, setState] = useState<{ status: 'idle' | 'running' } | { status: 'done'; report: ValidationReport } | { status: 'error'; error: unknown }>({ status: 'idle' })
  const run = () => {
    setState({ status: 'running' })
    // The format recorded at registration: the stored content's name may not tell it (a file put under another name).
    const recorded = DATASET_FORMATS.find((f) => f === record.metadata.format) as DatasetFormat | undefined
    assets.validate(record.key, record.version, recorded).then(
      (report) => setState({ status: 'done', report }),
      (error: unknown) => setState({ status: 'error', error }),
    )
  }
  return (
    <div className="validate-again">
      <button type="button" onClick={run} disabled={state.status === 'running'}>
        {state.status === 'running' ? 'Validating on the server…' : validated ? 'Validate again on the server' : 'Validate on the server'}
      </button>
      <div aria-live="polite">
        {state.status === 'done' ? (
          <p>
            <span className={`verdict ${state.report.valid ? 'ok' : 'bad'}`}>{state.report.valid ? 'valid' : 'invalid'}</span> {shapeOf(state.report.summary)}
            {state.report.errors.length} error
            {state.report.errors.length === 1 ? '' : 's'}, {state.report.warnings.length} warning{state.report.warnings.length === 1 ? '' : 's'}
            {state.report.errors[0] ? (
              <>
                : <code>{state.report.errors[0].code}</code> {state.report.errors[0].message}
              </>
            ) : null}
          </p>
        ) : null}
        {state.status === 'error' ? <ErrorNote error={state.error} title="Validation did not run" /> : null}
      </div>
    </div>
  )
}

/** "40 cells × 30 genes, X csr float32; " from a report's summary, or nothing when it has no shape. */
function shapeOf(summary: ValidationReport['summary'] | undefined): string {
  if (summary?.n_obs === undefined) return summary?.n_rows === undefined ? '' : `${formatCount(summary.n_rows)} rows; `
  return `${formatCount(summary.n_obs)} cells × ${formatCount(summary.n_vars)} genes${summary.x_encoding ? `, X ${summary.x_encoding} ${summary.x_dtype ?? ''}` : ''}; `
}
