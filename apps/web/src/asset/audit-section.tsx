import { assets } from '../api/endpoints'
import { ApiError } from '../api/api-error'
import { ErrorNote, Loading } from '../components/status'
import { formatDate } from '../format'
import { useResource } from '../use-resource'

/** `GET /v1/audit?key=`: shown to the asset's admins; for anyone else the server says 403 and the section says so. */
export function AuditSection({ assetKey }: { assetKey: string }) {
  const trail = useResource(`audit:${assetKey}`, () => assets.audit(assetKey))
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit trail</h2>
      {trail.status === 'loading' ? <Loading what="the audit trail" /> : null}
      {trail.status === 'error' && ApiError.isInstance(trail.error) && trail.error.status === 403 ? (
        <p className="muted">The audit trail is shown to this asset’s admins only.</p>
      ) : trail.status === 'error' ? (
        <ErrorNote error={trail.error} title="The audit trail could not be read" />
      ) : null}
      {trail.status === 'ready' && trail.data.length === 0 ? <p className="muted">Nothing recorded.</p> : null}
      {trail.status === 'ready' && trail.data.length > 0 ? (
        <div className="table-scroll">
          <table className="audit cards" data-testid="audit-table">
            <caption className="visually-hidden">Audit trail, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Version</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {trail.data.map((entry) => (
                <tr key={entry.id}>
                  <td data-label="When">
                    <time dateTime={entry.at}>{formatDate(entry.at)}</time>
                  </td>
                  <td data-label="Who">{entry.actor}</td>
                  <td data-label="Action">{entry.action}</td>
                  <td data-label="Version">{entry.version ?? '—'}</td>
                  <td data-label="Details">{entry.details ? <code className="details">{JSON.stringify(entry.details)}</code> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  )
}
