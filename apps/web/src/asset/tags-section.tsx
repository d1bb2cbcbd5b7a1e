import { type FormEvent, useId, useState } from 'react'
import { Link } from 'react-router'
import { assets } from '../api/endpoints'
import { ErrorNote } from '../components/status'
import { assetPath } from '../format'

/** Tag → version, and a form that points a tag (new or existing) at the version shown: writers only, as the server decides. */
export function TagsSection({ assetKey, version, tags, onChanged }: { assetKey: string; version: string; tags: Record<string, string>; onChanged: () => void }) {
  const [tag, setTag] = useState('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ error: unknown } | { done: string }>()
  const listId = useId()
  const entries = Object.entries(tags).sort(([a], [b]) => a.localeCompare(b))
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setResult(undefined)
    try {
      await assets.setTag(assetKey, tag.trim(), version)
      setResult({ done: tag.trim() })
      setTag('')
      onChanged()
    } catch (error) {
      setResult({ error })
    } finally {
      setBusy(false)
    }
  }
  return (
    <section aria-labelledby="tags-title">
      <h2 id="tags-title">Tags</h2>
      {entries.length === 0 ? (
        <p className="muted">No tags.</p>
      ) : (
        <table className="values">
          <caption className="visually-hidden">Tags and the versions they point at</caption>
          <tbody>
            {entries.map(([name, v]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td>
                  <Link to={assetPath(assetKey, v)}>{v}</Link>
                  {v === version ? <span className="muted"> (this version)</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} className="inline-form">
        <label htmlFor="tag-name">
          Point a tag at <code>{version}</code>
        </label>
        <input id="tag-name" list={listId} required maxLength={128} value={tag} onChange={(e) => setTag(e.target.value)} placeholder="prod" />
        <datalist id={listId}>
          {entries.map(([name]) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <button type="submit" disabled={busy || tag.trim() === ''}>
          {busy ? 'Moving…' : 'Move tag here'}
        </button>
      </form>
      <div aria-live="polite">
        {result && 'done' in result ? (
          <p className="status ok">
            Tag <strong>{result.done}</strong> now points at {version}.
          </p>
        ) : null}
      </div>
      {result && 'error' in result ? <ErrorNote error={result.error} title="The tag was not moved" /> : null}
    </section>
  )
}
