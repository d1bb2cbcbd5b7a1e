import type { FormEvent } from 'react'
import { ASSET_KINDS } from '../api/types'
import { FIELD_FILTERS, firstPage, PAGE_SIZES, SORTS } from './search-state'

/** The sorts offered, plus the URL's own when it sorts by a metadata field (`sort=metadata.n_obs:desc`). */
function sortsWith(current: string | null): { value: string; label: string }[] {
  if (!current || SORTS.some((s) => s.value === current)) return [...SORTS]
  const [field, order] = current.split(':')
  return [...SORTS, { value: current, label: `${field?.replace(/^metadata\./, '') ?? current} ${order === 'asc' ? 'ascending' : 'descending'}` }]
}

/** Free text, kind, tag, the common metadata fields, sort and page size: submitted into the URL. */
export function SearchForm({ params, onSearch }: { params: URLSearchParams; onSearch: (next: URLSearchParams) => void }) {
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const next = firstPage(params)
    for (const name of ['q', 'kind', 'tag', 'sort', 'limit', ...FIELD_FILTERS.map((f) => f.param)]) {
      const value = String(form.get(name) ?? '').trim()
      if (value) next.set(name, value)
      else next.delete(name)
    }
    onSearch(next)
  }
  // Keyed by the URL: going back in history shows that search's values again.
  return (
    <search aria-label="Assets">
      <form className="search-form" onSubmit={submit} key={params.toString()}>
      <div className="field wide">
        <label htmlFor="q">Search keys and descriptions</label>
        <input id="q" name="q" type="search" defaultValue={params.get('q') ?? ''} placeholder="pbmc, scgpt, benchmark…" />
      </div>
      <div className="field">
        <label htmlFor="kind">Kind</label>
        <select id="kind" name="kind" defaultValue={params.get('kind') ?? ''}>
          <option value="">Any kind</option>
          {ASSET_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {kind}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="tag">Tag</label>
        <input id="tag" name="tag" defaultValue={params.get('tag') ?? ''} placeholder="prod" />
      </div>
      {FIELD_FILTERS.map((filter) => (
        <div className="field" key={filter.param}>
          <label htmlFor={filter.param}>{filter.label}</label>
          <input id={filter.param} name={filter.param} defaultValue={params.get(filter.param) ?? ''} />
        </div>
      ))}
      <div className="field">
        <label htmlFor="sort">Sort</label>
        <select id="sort" name="sort" defaultValue={params.get('sort') ?? SORTS[0].value}>
          {sortsWith(params.get('sort')).map((sort) => (
            <option key={sort.value} value={sort.value}>
              {sort.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="limit">Per page</label>
        <select id="limit" name="limit" defaultValue={params.get('limit') ?? String(PAGE_SIZES[0])}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </div>
      <div className="actions">
        <button type="submit">Search</button>
      </div>
      </form>
    </search>
  )
}
