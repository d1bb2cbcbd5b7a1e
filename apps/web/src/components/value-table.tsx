import { Link } from 'react-router'
import { formatClause, typedValue } from '../search/search-state'

type Scalar = string | number | boolean | null

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value)
}

/** The search for assets whose field has this value: `?w=<field>:eq:<value>` (text that reads as a number stays text). */
function searchFor(path: string, value: Scalar): string {
  const text = String(value)
  const literal = typeof value === 'string' && typedValue(text) !== text ? `"${text}"` : text
  return `/?${new URLSearchParams({ w: formatClause({ field: path, op: 'eq', value: literal }) })}`
}

function ScalarValue({ value }: { value: Scalar }) {
  if (value === null) return <span className="muted">null</span>
  if (typeof value === 'boolean') return <code>{String(value)}</code>
  return <>{String(value)}</>
}

/**
 * A free-form object (metadata, specs) as a table: nested objects as nested rows, lists of
 * plain values inline. With `searchable`, each plain value links to the search for it, which is
 * how a clause on any field is made by clicking.
 */
export function ValueTable({ value, path = '', searchable = false, label }: { value: Record<string, unknown>; path?: string; searchable?: boolean; label?: string }) {
  const entries = Object.entries(value)
  if (entries.length === 0) return <p className="muted">None.</p>
  return (
    <table className="values" aria-label={label}>
      <tbody>
        {entries.map(([name, v]) => {
          const here = path ? `${path}.${name}` : name
          return (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>
                <Value value={v} path={here} searchable={searchable} />
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function Value({ value, path, searchable }: { value: unknown; path: string; searchable: boolean }) {
  if (isScalar(value)) {
    return (
      <>
        <ScalarValue value={value} />
        {searchable && /^[A-Za-z0-9_.-]+$/.test(path) && value !== null ? (
          <>
            {' '}
            <Link className="find-similar" to={searchFor(path, value)} aria-label={`Find assets with ${path} = ${String(value)}`}>
              find
            </Link>
          </>
        ) : null}
      </>
    )
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">(empty list)</span>
    if (value.every(isScalar)) {
      return (
        <ul className="inline-list">
          {value.map((item, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a list of plain values may repeat one; its order is its identity
            <li key={i}>
              <ScalarValue value={item} />
            </li>
          ))}
        </ul>
      )
    }
    return <ValueTable value={Object.fromEntries(value.map((item, i) => [String(i), item]))} path="" />
  }
  if (typeof value === 'object' && value !== null) return <ValueTable value={value as Record<string, unknown>} path={path} searchable={searchable} />
  return <span className="muted">{String(value)}</span>
}
