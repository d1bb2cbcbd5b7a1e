import { type FormEvent, useId } from 'react'
import { firstPage, formatClause, OPERATORS, type Operator } from './search-state'

/**
 * A clause on any metadata field, built by picking: field (suggested from the results shown),
 * operator, value. Each becomes a `w` param of the URL.
 */
export function WhereBuilder({ params, fields, onSearch }: { params: URLSearchParams; fields: string[]; onSearch: (next: URLSearchParams) => void }) {
  const listId = useId()
  const hintId = useId()
  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const field = String(form.get('field') ?? '').trim()
    const op = String(form.get('op') ?? 'eq') as Operator
    const value = String(form.get('value') ?? '').trim()
    if (!field) return
    const next = firstPage(params)
    next.append('w', formatClause({ field, op, value: op === 'exists' && value === '' ? 'true' : value }))
    onSearch(next)
    event.currentTarget.reset()
  }
  return (
    <form className="where-builder" aria-label="Filter on a metadata field" onSubmit={add}>
      <fieldset>
        <legend>Filter on any metadata field</legend>
        <div className="field">
          <label htmlFor="where-field">Field</label>
          <input id="where-field" name="field" list={listId} required pattern="[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*" placeholder="n_obs" aria-describedby={hintId} />
          <datalist id={listId}>
            {fields.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="where-op">Operator</label>
          <select id="where-op" name="op" defaultValue="eq">
            {OPERATORS.map((o) => (
              <option key={o.op} value={o.op}>
                {o.label} {o.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="where-value">Value</label>
          <input id="where-value" name="value" placeholder="1000" aria-describedby={hintId} />
        </div>
        <div className="actions">
          <button type="submit">Add filter</button>
        </div>
        <p id={hintId} className="hint">
          Nested fields with dots (<code>stats.n_cells</code>). Numbers and true/false are compared as such; put text in quotes to compare it as text (<code>"2700"</code>).
        </p>
      </fieldset>
    </form>
  )
}
