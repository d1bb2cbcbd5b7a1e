import { Link } from 'react-router'
import type { AssetRecord } from '../api/types'
import { assetPath, formatBytes, formatDate } from '../format'

/** One row per asset (its latest readable version), as the server answered the query. */
export function ResultsTable({ items }: { items: AssetRecord[] }) {
  return (
    <div className="table-scroll">
      <table className="results" data-testid="search-results">
        <caption className="visually-hidden">Assets found</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Version</th>
            <th scope="col">Kind</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">By</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {items.map((record) => (
            <tr key={`${record.key}@${record.version}`} data-testid="search-result-row">
              <th scope="row">
                <Link to={assetPath(record.key)}>{record.key}</Link>
                {record.description ? <span className="description">{record.description}</span> : null}
              </th>
              <td>
                <Link to={assetPath(record.key, record.version)} aria-label={`${record.key} version ${record.version}`}>
                  {record.version}
                </Link>
              </td>
              <td>
                <span className={`kind kind-${record.kind}`}>{record.kind}</span>
              </td>
              <td className="num">{formatBytes(record.size)}</td>
              <td>{record.createdBy}</td>
              <td>
                <time dateTime={record.createdAt}>{formatDate(record.createdAt)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Metadata fields of the results, as dot paths of scalar values: suggestions for the filter builder. */
export function fieldsOf(items: AssetRecord[]): string[] {
  const fields = new Set<string>()
  const walk = (value: unknown, path: string, depth: number) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (depth < 3) for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, depth + 1)
    } else if (path) fields.add(path)
  }
  for (const item of items) walk(item.metadata, '', 0)
  return [...fields].sort()
}
