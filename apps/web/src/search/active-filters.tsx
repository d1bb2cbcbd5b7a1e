import { FIELD_FILTERS, firstPage, OPERATORS, parseClause } from './search-state'

interface Chip {
  label: string
  remove: () => URLSearchParams
}

/** Every filter in force, each with a button that removes just it. */
export function ActiveFilters({ params, onSearch }: { params: URLSearchParams; onSearch: (next: URLSearchParams) => void }) {
  const chips: Chip[] = []
  const without = (name: string, value?: string) => () => {
    const next = firstPage(params)
    next.delete(name, value)
    return next
  }
  const single = [{ param: 'q', label: 'text' }, { param: 'kind', label: 'kind' }, { param: 'tag', label: 'tag' }, ...FIELD_FILTERS.map((f) => ({ param: f.param, label: f.field }))]
  for (const { param, label } of single) {
    const value = params.get(param)
    if (value) chips.push({ label: `${label} = ${value}`, remove: without(param) })
  }
  for (const text of params.getAll('w')) {
    const clause = parseClause(text)
    if (!clause) continue
    const op = OPERATORS.find((o) => o.op === clause.op)
    chips.push({ label: `${clause.field} ${op?.label ?? clause.op} ${clause.value}`, remove: without('w', text) })
  }
  if (chips.length === 0) return null
  return (
    <section className="active-filters" aria-label="Filters in force">
      <ul>
        {chips.map((chip) => (
          <li key={chip.label}>
            <span>{chip.label}</span>
            <button type="button" onClick={() => onSearch(chip.remove())} aria-label={`Remove filter ${chip.label}`}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <button type="button" className="link-button" onClick={() => onSearch(new URLSearchParams(params.has('sort') ? { sort: params.get('sort') ?? '' } : {}))}>
        Clear all filters
      </button>
    </section>
  )
}
