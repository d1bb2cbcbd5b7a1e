import { type FormEvent, useId, useState } from 'react'
import { Navigate, useLocation, useNavigate } from 'react-router'
import { ErrorNote } from '../components/status'
import { useSession } from '../session/session-context'
import { useDocumentTitle } from '../use-document-title'

export function SignInPage() {
  useDocumentTitle('Sign in')
  const { state, signIn } = useSession()
  const navigate = useNavigate()
  const location = useLocation()
  const from = (location.state as { from?: string } | null)?.from ?? '/'
  const [token, setToken] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const hintId = useId()

  if (state.status === 'signed-in' && !busy) return <Navigate to={from} replace />

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await signIn(token.trim())
      navigate(from, { replace: true })
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {state.status === 'signed-out' && state.notice && !error ? (
        <p className="status notice" role="alert">
          {state.notice}
        </p>
      ) : null}
      <form onSubmit={submit}>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby={hintId}
        />
        <p id={hintId} className="hint">
          Paste a token from <code>assets token create --user &lt;you&gt;</code> (ask an admin). It stays in this tab only and is forgotten when the tab closes; downloads use a cookie of this browser that lasts 12 hours or until you sign out.
        </p>
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {error ? <ErrorNote error={error} title="Not signed in" /> : null}
    </section>
  )
}
