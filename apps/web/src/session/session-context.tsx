import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react'
import { useNavigate } from 'react-router'
import { ApiError } from '../api/api-error'
import { assets, closeSession, openSession } from '../api/endpoints'
import { forgetToken, onUnauthenticated, storedToken, storeToken } from '../api/session-token'
import type { Actor } from '../api/types'

export type SessionState =
  | { status: 'signed-out'; notice?: string }
  | { status: 'checking' }
  | { status: 'signed-in'; actor: Actor }

interface Session {
  state: SessionState
  /** Checks the token (`GET /v1/whoami`), keeps it for this tab and opens the download cookie. */
  signIn(token: string): Promise<void>
  signOut(notice?: string): Promise<void>
}

const SessionContext = createContext<Session | undefined>(undefined)

export function useSession(): Session {
  const session = useContext(SessionContext)
  if (!session) throw new Error('useSession outside <SessionProvider>')
  return session
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const navigate = useNavigate()
  const [state, setState] = useState<SessionState>(() => (storedToken() ? { status: 'checking' } : { status: 'signed-out' }))

  const signOut = useCallback(async (notice?: string) => {
    const token = storedToken()
    forgetToken()
    setState({ status: 'signed-out', notice })
    await closeSession(token)
  }, [])

  const signIn = useCallback(async (token: string) => {
    storeToken(token)
    try {
      const actor = await assets.whoami()
      await openSession(token)
      setState({ status: 'signed-in', actor })
    } catch (error) {
      forgetToken()
      throw error
    }
  }, [])

  // A token kept from before a reload is checked again: it may have been revoked since.
  useEffect(() => {
    if (state.status !== 'checking') return
    assets.whoami().then(
      (actor) => {
        setState({ status: 'signed-in', actor })
        // The download cookie lapses on its own (12 h): a tab that checks its token opens it again.
        const token = storedToken()
        if (token !== undefined) void openSession(token).catch(() => undefined)
      },
      (error: unknown) => {
        // A 401 has signed the tab out already, with its reason; anything else leaves the token for another try.
        if (ApiError.isInstance(error) && error.status === 401) return
        setState({ status: 'signed-out', notice: `Your session could not be checked: ${error instanceof Error ? error.message : String(error)}` })
      },
    )
  }, [state.status])

  // Any 401, from any page: the token is no good any more, so back to sign-in with the server's reason.
  useEffect(
    () =>
      onUnauthenticated((message) => {
        void signOut(`The server refused the token: ${message}. Sign in again.`)
        // On the sign-in page already (a wrong token pasted), the page shows the error and keeps where to go back to.
        if (window.location.pathname !== '/sign-in') navigate('/sign-in', { replace: true, state: { from: window.location.pathname + window.location.search } })
      }),
    [navigate, signOut],
  )

  const session = useMemo(() => ({ state, signIn, signOut }), [state, signIn, signOut])
  return <SessionContext value={session}>{children}</SessionContext>
}
