import type { Provenance } from '../api/types'
import { ValueTable } from '../components/value-table'

const DOI = /^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:)?(10\.\d{4,9}\/\S+)$/i

/** A DOI (bare, `doi:` or a doi.org URL) as its https://doi.org link; undefined for other text. */
export function doiUrl(text: string): string | undefined {
  const match = DOI.exec(text.trim())
  return match?.[1] ? `https://doi.org/${match[1]}` : undefined
}

/**
 * A link only for an http(s) URL: provenance is written by whoever registered the asset, and a
 * `javascript:` or `data:` "URL" there must stay text.
 */
function webLink(value: unknown) {
  // The server checks provenance only as JSON: a field may hold a number or an object.
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return /^https?:\/\//i.test(text) ? (
    <a href={text} rel="noopener noreferrer">
      {text}
    </a>
  ) : (
    text
  )
}

function Citation({ text }: { text: string }) {
  const url = doiUrl(text)
  return url ? <a href={url}>{text}</a> : text
}

/** Where the asset comes from: authors, source, licence, DOI (linked), citations; other fields as a table. */
export function ProvenanceSection({ provenance }: { provenance?: Provenance }) {
  if (!provenance || Object.keys(provenance).length === 0) {
    return (
      <section aria-labelledby="provenance-title">
        <h2 id="provenance-title">Provenance</h2>
        <p className="muted">None recorded. It is given at registration: <code>assets put … --provenance provenance.json</code>.</p>
      </section>
    )
  }
  const { author, authors, source, citations, doi, license, url, ...rest } = provenance
  const people = [...(author ? [author] : []), ...(Array.isArray(authors) ? authors : [])]
  const doiLink = typeof doi === 'string' ? doiUrl(doi) : undefined
  return (
    <section aria-labelledby="provenance-title">
      <h2 id="provenance-title">Provenance</h2>
      <dl className="facts">
        {people.length > 0 ? (
          <>
            <dt>{people.length === 1 ? 'Author' : 'Authors'}</dt>
            <dd>{people.join(', ')}</dd>
          </>
        ) : null}
        {source ? (
          <>
            <dt>Source</dt>
            <dd>{webLink(source)}</dd>
          </>
        ) : null}
        {url ? (
          <>
            <dt>URL</dt>
            <dd>{webLink(url)}</dd>
          </>
        ) : null}
        {typeof doi === 'string' ? (
          <>
            <dt>DOI</dt>
            <dd>{doiLink ? <a href={doiLink}>{doi}</a> : doi}</dd>
          </>
        ) : null}
        {license ? (
          <>
            <dt>Licence</dt>
            <dd>{typeof license === 'string' ? license : JSON.stringify(license)}</dd>
          </>
        ) : null}
        {Array.isArray(citations) && citations.length > 0 ? (
          <>
            <dt>Cite as</dt>
            <dd>
              <ul className="citations">
                {citations.map((c) => (
                  <li key={c}>
                    <Citation text={String(c)} />
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
      </dl>
      {Object.keys(rest).length > 0 ? <ValueTable value={rest} label="Other provenance fields" /> : null}
    </section>
  )
}
