import { useSearchParams } from 'react-router'
import { assets } from '../api/endpoints'
import { Empty, ErrorNote, Loading } from '../components/status'
import { ActiveFilters } from '../search/active-filters'
import { fieldsOf, ResultsTable } from '../search/results-table'
import { SearchForm } from '../search/search-form'
import { firstPage, hasFilters, queryOf } from '../search/search-state'
import { WhereBuilder } from '../search/where-builder'
import { useDocumentTitle } from '../use-document-title'
import { useResource } from '../use-resource'

export function SearchPage() {
  const [params, setParams] = useSearchParams()
  const query = queryOf(params)
  useDocumentTitle(query.text ? `“${query.text}”` : 'Search')
  const results = useResource(JSON.stringify(query), () => assets.find(query))
  const search = (next: URLSearchParams) => setParams(next)

  const page = (direction: 'next' | 'previous', nextCursor?: string) => {
    const next = new URLSearchParams(params)
    if (direction === 'next' && nextCursor) {
      next.append('prev', params.get('cursor') ?? '')
      next.set('cursor', nextCursor)
    } else {
      const stack = next.getAll('prev')
      const previous = stack.pop()
      next.delete('prev')
      for (const cursor of stack) next.append('prev', cursor)
      if (previous) next.set('cursor', previous)
      else next.delete('cursor')
    }
    setParams(next)
  }
  const pageNumber = params.getAll('prev').length + 1

  return (
    <div className="search-page">
      <h1>Search assets</h1>
      <SearchForm params={params} onSearch={search} />
      <WhereBuilder params={params} fields={results.status === 'ready' ? fieldsOf(results.data.items) : []} onSearch={search} />
      <ActiveFilters params={params} onSearch={search} />
      <section aria-labelledby="results-title" aria-busy={results.status === 'loading'}>
        <h2 id="results-title">Results</h2>
        {results.status === 'loading' ? <Loading what="assets" /> : null}
        {results.status === 'error' ? (
          <ErrorNote error={results.error} title="The search failed">
            <p>
              <button type="button" onClick={results.reload}>
                Try again
              </button>{' '}
              {hasFilters(params) ? (
                <button type="button" className="link-button" onClick={() => search(new URLSearchParams())}>
                  Start a new search
                </button>
              ) : null}
            </p>
          </ErrorNote>
        ) : null}
        {results.status === 'ready' && results.data.items.length === 0 ? (
          <Empty>
            {pageNumber > 1 ? (
              <p>No more assets on this page.</p>
            ) : hasFilters(params) ? (
              <p>No assets match — remove a filter above, or search for less.</p>
            ) : (
              <p>
                No assets you may read yet. Register one with <code>assets put</code>, or ask an owner to share one with you.
              </p>
            )}
            {pageNumber > 1 ? (
              <button type="button" onClick={() => search(firstPage(params))}>
                Back to the first page
              </button>
            ) : null}
          </Empty>
        ) : null}
        {results.status === 'ready' && results.data.items.length > 0 ? (
          <>
            <p className="summary" role="status">
              Page {pageNumber}: {results.data.items.length} asset{results.data.items.length === 1 ? '' : 's'}
              {results.data.nextCursor ? ', more on the next page' : ''}.
            </p>
            <ResultsTable items={results.data.items} />
          </>
        ) : null}
        {results.status === 'ready' && (pageNumber > 1 || results.data.nextCursor) ? (
          <nav className="pager" aria-label="Pages of results">
            <button type="button" onClick={() => page('previous')} disabled={pageNumber === 1}>
              ← Previous page
            </button>
            <span>Page {pageNumber}</span>
            <button type="button" onClick={() => page('next', results.data.nextCursor)} disabled={!results.data.nextCursor}>
              Next page →
            </button>
          </nav>
        ) : null}
      </section>
    </div>
  )
}
