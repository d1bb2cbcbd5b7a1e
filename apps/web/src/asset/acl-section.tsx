import { type FormEvent, useState } from 'react'
import { assets } from '../api/endpoints'
import type { AccessControl } from '../api/types'
import { ErrorNote } from '../components/status'

const PERMISSIONS = ['read', 'write', 'admin'] as const
const principals = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean)

/**
 * Who may read, write and administer this version, as the server recorded it, and a form to
 * change it. Whether the token may is the server's to say: a refusal shows its 403 message.
 */
export function AclSection({ assetKey, version, acl, onChanged }: { assetKey: string; version: string; acl: AccessControl; onChanged: () => void }) {
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ error: unknown } | { done: true }>()
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const next: Partial<AccessControl> = { owner: String(form.get('owner') ?? '').trim() }
    for (const p of PERMISSIONS) next[p] = principals(String(form.get(p) ?? ''))
    setBusy(true)
    setResult(undefined)
    try {
      await assets.setAccessControl(assetKey, next, form.get('only') === 'on' ? version : undefined)
      setResult({ done: true })
      onChanged()
    } catch (error) {
      setResult({ error })
    } finally {
      setBusy(false)
    }
  }
  return (
    <section aria-labelledby="acl-title">
      <h2 id="acl-title">Access</h2>
      <dl className="facts">
        <dt>Owner</dt>
        <dd>
          <code>{acl.owner}</code>
        </dd>
        {PERMISSIONS.map((p) => (
          <div key={p} className="fact">
            <dt>{p === 'read' ? 'Read' : p === 'write' ? 'Write' : 'Admin'}</dt>
            <dd>
              {acl[p].length > 0 ? (
                <ul className="inline-list">
                  {acl[p].map((who) => (
                    <li key={who}>
                      <code>{who}</code>
                      {who === '*' ? ' (everyone)' : ''}
                    </li>
                  ))}
                </ul>
              ) : (
                <span className="muted">nobody else</span>
              )}
            </dd>
          </div>
        ))}
      </dl>
      <details>
        <summary>Change access (admins of this asset)</summary>
        <form onSubmit={submit} className="stacked" key={JSON.stringify(acl)}>
          <p className="hint">
            Principals: <code>user:alice</code>, <code>group:lab</code>, <code>role:admin</code> or <code>*</code> for everyone; separated by spaces, commas or lines.
          </p>
          <label htmlFor="acl-owner">Owner</label>
          <input id="acl-owner" name="owner" required defaultValue={acl.owner} />
          {PERMISSIONS.map((p) => (
            <div key={p} className="stacked">
              <label htmlFor={`acl-${p}`}>May {p}</label>
              <textarea id={`acl-${p}`} name={p} rows={2} defaultValue={acl[p].join('\n')} />
            </div>
          ))}
          <label className="checkbox">
            <input type="checkbox" name="only" /> Only version <code>{version}</code> (otherwise every version)
          </label>
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save access'}
          </button>
        </form>
        <div aria-live="polite">{result && 'done' in result ? <p className="status ok">Access saved.</p> : null}</div>
        {result && 'error' in result ? <ErrorNote error={result.error} title="Access was not changed" /> : null}
      </details>
    </section>
  )
}
