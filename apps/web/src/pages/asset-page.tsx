import { Link, useParams, useSearchParams } from 'react-router'
import { assets, contentUrl } from '../api/endpoints'
import type { AssetInfo } from '../api/types'
import { AclSection } from '../asset/acl-section'
import { AnnotationsSection } from '../asset/annotations-section'
import { AuditSection } from '../asset/audit-section'
import { CompatSection } from '../asset/compat-section'
import { CopyCommand } from '../asset/copy-command'
import { DatasetSummary } from '../asset/dataset-summary'
import { ProvenanceSection } from '../asset/provenance-section'
import { RelationshipsSection } from '../asset/relationships-section'
import { TagsSection } from '../asset/tags-section'
import { VersionsTable } from '../asset/versions-table'
import { ErrorNote, Loading } from '../components/status'
import { ValueTable } from '../components/value-table'
import { formatBytes, formatDate, lineagePath } from '../format'
import { useDocumentTitle } from '../use-document-title'
import { useResource } from '../use-resource'

/** `/a/<key>?v=<version>`: one version of an asset (the latest by default) and everything about it. */
export function AssetPage() {
  const key = useParams()['*'] ?? ''
  const [params] = useSearchParams()
  const ref = params.get('v') ?? 'latest'
  useDocumentTitle(ref === 'latest' ? key : `${key}@${ref}`)
  const page = useResource(`asset:${key}@${ref}`, async () => {
    const [info, versions, tags] = await Promise.all([assets.info(key, ref), assets.versions(key), assets.tags(key)])
    return { info, versions, tags }
  })

  if (page.status === 'loading') return <Loading what={key} />
  if (page.status === 'error') {
    return (
      <section aria-labelledby="asset-title">
        <h1 id="asset-title">{key}</h1>
        <ErrorNote error={page.error} title={`${key}${ref === 'latest' ? '' : `@${ref}`} could not be shown`}>
          <p>
            <Link to="/">Back to search</Link>
          </p>
        </ErrorNote>
      </section>
    )
  }
  const { info, versions, tags } = page.data
  return (
    <article className="asset-page" aria-labelledby="asset-title">
      <AssetHeader info={info} />
      <section aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        <VersionsTable versions={versions} tags={tags} current={info.version} />
      </section>
      {info.kind === 'dataset' ? <DatasetSummary record={info} /> : null}
      {info.kind === 'model' ? <CompatSection model={info} /> : null}
      <section aria-labelledby="metadata-title">
        <h2 id="metadata-title">Metadata</h2>
        <ValueTable value={info.metadata} searchable label="Metadata" />
      </section>
      <ProvenanceSection provenance={info.provenance} />
      {info.specs !== undefined && info.specs !== null ? (
        <section aria-labelledby="specs-title">
          <h2 id="specs-title">Specs</h2>
          {typeof info.specs === 'object' ? <ValueTable value={info.specs as Record<string, unknown>} label="Specs" /> : <pre>{String(info.specs)}</pre>}
        </section>
      ) : null}
      <RelationshipsSection record={info} />
      <TagsSection assetKey={info.key} version={info.version} tags={tags} onChanged={page.reload} />
      <AnnotationsSection assetKey={info.key} version={info.version} />
      <AclSection assetKey={info.key} version={info.version} acl={info.accessControl} onChanged={page.reload} />
      <AuditSection assetKey={info.key} />
    </article>
  )
}

function AssetHeader({ info }: { info: AssetInfo }) {
  return (
    <header className="asset-header">
      <h1 id="asset-title">
        {info.key} <span className="version">@{info.version}</span>
      </h1>
      <ul className="tags" aria-label="Kind and tags">
        <li className={`kind kind-${info.kind}`}>{info.kind}</li>
        {info.tags.map((tag) => (
          <li key={tag} className={`tag${tag === 'latest' ? ' latest' : ''}`}>
            {tag}
          </li>
        ))}
      </ul>
      {info.description ? <p className="description">{info.description}</p> : null}
      {info.deletedAt ? (
        <p className="status notice" role="note">
          This version was deleted by {info.deletedBy ?? 'someone'} on {formatDate(info.deletedAt)}: it stays in lineage and audit only.
        </p>
      ) : null}
      <dl className="facts inline">
        <dt>Size</dt>
        <dd>
          {formatBytes(info.size)}
          {info.type === 'folder' ? ` in ${info.fileCount} files` : ''}
        </dd>
        <dt>By</dt>
        <dd>{info.createdBy}</dd>
        <dt>When</dt>
        <dd>
          <time dateTime={info.createdAt}>{formatDate(info.createdAt)}</time>
        </dd>
        {info.fileName ? (
          <>
            <dt>File</dt>
            <dd>
              <code>{info.fileName}</code>
            </dd>
          </>
        ) : null}
        {info.expiresAt ? (
          <>
            <dt>Expires</dt>
            <dd>
              <time dateTime={info.expiresAt}>{formatDate(info.expiresAt)}</time>
            </dd>
          </>
        ) : null}
      </dl>
      <div className="asset-actions">
        {info.type === 'file' ? (
          <a className="button" href={contentUrl(info.key, info.version)} download={info.fileName ?? ''}>
            Download
          </a>
        ) : (
          <span className="muted">A folder downloads with the command below.</span>
        )}
        <Link className="button secondary" to={lineagePath(info.key, info.version)}>
          Lineage
        </Link>
      </div>
      <CopyCommand command={`assets get ${info.key}@${info.version}`} />
    </header>
  )
}
