import { Link } from 'react-router'
import type { AssetRecord } from '../api/types'
import { assetPath, lineagePath } from '../format'

/** The version's own edges (derived_from, trained_on …) as the server shows them: only readable ones. */
export function RelationshipsSection({ record }: { record: AssetRecord }) {
  return (
    <section aria-labelledby="relationships-title">
      <h2 id="relationships-title">Relationships</h2>
      {record.relationships.length === 0 ? (
        <p className="muted">None recorded for this version.</p>
      ) : (
        <ul className="relationships">
          {record.relationships.map((r) => (
            <li key={`${r.relation}:${r.key}@${r.version}`}>
              <span className="relation">{r.relation}</span>{' '}
              <Link to={assetPath(r.key, r.version)}>
                {r.key}@{r.version}
              </Link>
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link to={lineagePath(record.key, record.version)}>See the lineage graph</Link>
      </p>
    </section>
  )
}
