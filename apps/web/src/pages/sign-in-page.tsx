import { type FormEvent, useId, useState } from 'react'
import { Navigate, useLocation, useNavigate } from 'react-router'
import { identityProvider } from '../api/endpoints'
import { ErrorNote } from '../components/status'
import { goToIdentityProvider, type IdentityProviderInfo, localPath } from '../session/identity-provider'
import { useSession } from '../session/session-context'
import { useDocumentTitle } from '../use-document-title'
import { useResource } from '../use-resource'

export function SignInPage() {
  useDocumentTitle('Sign in')
  const { state, signIn } = useSession()
  const navigate = useNavigate()
  const location = useLocation()
  const from = localPath((location.state as { from?: string } | null)?.from)
  const [token, setToken] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const hintId = useId()
  const provider = useResource('sign-in', identityProvider)

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
      {provider.status === 'ready' && provider.data ? <ProviderSignIn provider={provider.data} from={from} /> : null}
      {provider.status === 'error' ? <ErrorNote error={provider.error} title="The identity provider cannot be used now; an API token still works" /> : null}
      <form onSubmit={submit}>
        <label htmlFor="token">{provider.status === 'ready' && provider.data ? 'Or paste an API token' : 'API token'}</label>
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

/** The way in for people of the team: the server's identity provider, which sends them back here signed in. */
function ProviderSignIn({ provider, from }: { provider: IdentityProviderInfo; from: string }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const go = async () => {
    setBusy(true)
    setError(undefined)
    try {
      await goToIdentityProvider(provider, from)
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }
  return (
    <div className="provider-sign-in">
      <button type="button" onClick={() => void go()} disabled={busy}>
        {busy ? 'Going to the identity provider…' : `Sign in with ${new URL(provider.issuer).host}`}
      </button>
      <p className="hint">Your team's identity provider signs you in and sends you back here; this tab keeps the token it gives until the tab closes.</p>
      {error ? <ErrorNote error={error} title="Could not go to the identity provider" /> : null}
    </div>
  )
}
