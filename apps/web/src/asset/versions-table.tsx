import { Link } from 'react-router'
import type { AssetRecord } from '../api/types'
import { assetPath, formatBytes, formatDate, shortDigest } from '../format'

/** Every version the token may read, highest first; the one shown is marked as current. */
export function VersionsTable({ versions, tags, current }: { versions: AssetRecord[]; tags: Record<string, string>; current: string }) {
  const tagsOf = (version: string) => Object.entries(tags).filter(([, v]) => v === version).map(([t]) => t)
  const latest = versions[0]?.version
  return (
    <div className="table-scroll">
      <table className="versions cards" data-testid="versions-table">
        <caption className="visually-hidden">Versions</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Tags</th>
            <th scope="col">By</th>
            <th scope="col">When</th>
            <th scope="col">Digest</th>
            <th scope="col" className="num">
              Size
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((record) => (
            <tr key={record.version} className={record.version === current ? 'current' : undefined}>
              <th scope="row" data-label="Version">
                <Link to={assetPath(record.key, record.version)} aria-current={record.version === current ? 'page' : undefined}>
                  {record.version}
                </Link>
              </th>
              <td data-label="Tags">
                <ul className="tags">
                  {record.version === latest ? <li className="tag latest">latest</li> : null}
                  {tagsOf(record.version).map((tag) => (
                    <li key={tag} className="tag">
                      {tag}
                    </li>
                  ))}
                </ul>
              </td>
              <td data-label="By">{record.createdBy}</td>
              <td data-label="When">
                <time dateTime={record.createdAt}>{formatDate(record.createdAt)}</time>
              </td>
              <td data-label="Digest">
                <code title={record.digest}>{shortDigest(record.digest)}</code>
              </td>
              <td data-label="Size" className="num">{formatBytes(record.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
