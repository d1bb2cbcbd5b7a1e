import { Link } from 'react-router'
import { useDocumentTitle } from '../use-document-title'

export function NotFoundPage() {
  useDocumentTitle('Not found')
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">No such page</h1>
      <p>
        This address is not a page of the catalogue. <Link to="/">Search the assets</Link> instead.
      </p>
    </section>
  )
}
