import { type FormEvent, useState } from 'react'
import { assets } from '../api/endpoints'
import { ErrorNote, Loading } from '../components/status'
import { formatDate } from '../format'
import { useResource } from '../use-resource'

/** Notes on the asset (all versions), newest last, and a form that adds one to the version shown. */
export function AnnotationsSection({ assetKey, version }: { assetKey: string; version: string }) {
  const list = useResource(`annotations:${assetKey}`, () => assets.annotations(assetKey))
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await assets.annotate(assetKey, text.trim(), version)
      setText('')
      list.reload()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  return (
    <section aria-labelledby="annotations-title">
      <h2 id="annotations-title">Annotations</h2>
      {list.status === 'loading' ? <Loading what="annotations" /> : null}
      {list.status === 'error' ? <ErrorNote error={list.error} title="Annotations could not be read" /> : null}
      {list.status === 'ready' && list.data.length === 0 ? <p className="muted">No annotations yet.</p> : null}
      {list.status === 'ready' && list.data.length > 0 ? (
        <ol className="annotations">
          {list.data.map((a) => (
            <li key={`${a.createdAt}-${a.user}-${a.version}-${a.text}`}>
              <p className="annotation-text">{a.text}</p>
              <p className="meta">
                {a.user} on <code>{a.version}</code>, <time dateTime={a.createdAt}>{formatDate(a.createdAt)}</time>
              </p>
            </li>
          ))}
        </ol>
      ) : null}
      <form onSubmit={submit} className="stacked">
        <label htmlFor="annotation-text">
          Add an annotation to version <code>{version}</code>
        </label>
        <textarea id="annotation-text" rows={3} maxLength={10_000} required value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={busy || text.trim() === ''}>
          {busy ? 'Saving…' : 'Add annotation'}
        </button>
      </form>
      {error ? <ErrorNote error={error} title="The annotation was not saved" /> : null}
    </section>
  )
}
