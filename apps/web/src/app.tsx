import { lazy, Suspense, useEffect, useRef } from 'react'
import { Link, Navigate, NavLink, Route, Routes, useLocation } from 'react-router'
import { Loading } from './components/status'
import { AssetPage } from './pages/asset-page'
import { NotFoundPage } from './pages/not-found-page'
import { SearchPage } from './pages/search-page'
import { SignInCallbackPage } from './pages/sign-in-callback-page'
import { SignInPage } from './pages/sign-in-page'
import { askLoginNextTime } from './session/identity-provider'
import { useSession } from './session/session-context'

// The graph libraries (xyflow, dagre) load only when a lineage page is opened.
const LineagePage = lazy(() => import('./pages/lineage-page'))

export function App() {
  useFocusOnNavigation()
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      {/* While a kept token is checked again (GET /v1/whoami), the page already loads its data
          with it: a token that is no good any more answers 401, which signs the tab out. */}
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/sign-in" element={<SignInPage />} />
          <Route path="/sign-in/callback" element={<SignInCallbackPage />} />
          <Route path="/" element={<SignedIn page={<SearchPage />} />} />
          <Route path="/a/*" element={<SignedIn page={<AssetPage />} />} />
          <Route
            path="/lineage/*"
            element={
              <SignedIn
                page={
                  <Suspense fallback={<Loading what="the lineage view" />}>
                    <LineagePage />
                  </Suspense>
                }
              />
            }
          />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </main>
    </>
  )
}

/**
 * After a client-side move to another page, focus goes to <main>, as a full page load would
 * put keyboard and screen-reader users at the start of the new page, not on the old link.
 * Changes of the search params only (filters, pages) leave focus where it is.
 */
function useFocusOnNavigation() {
  const { pathname } = useLocation()
  const shown = useRef(pathname)
  useEffect(() => {
    if (shown.current === pathname) return
    shown.current = pathname
    document.getElementById('main')?.focus()
  }, [pathname])
}

/** A page for a signed-in tab (or one whose kept token is being checked); otherwise sign-in, which comes back here afterwards. */
function SignedIn({ page }: { page: React.ReactElement }) {
  const { state } = useSession()
  const location = useLocation()
  if (state.status === 'signed-out') return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />
  return page
}

function Header() {
  const { state, signOut } = useSession()
  return (
    <header className="site-header">
      <Link to="/" className="brand">
        Assets
      </Link>
      {state.status === 'signed-in' ? (
        <nav aria-label="Main">
          <ul>
            <li>
              <NavLink to="/" end>
                Search
              </NavLink>
            </li>
          </ul>
        </nav>
      ) : null}
      {state.status === 'signed-in' ? (
        <div className="who">
          <span title={[...state.actor.groups.map((g) => `group:${g}`), ...state.actor.roles.map((r) => `role:${r}`)].join(' ')}>
            Signed in as <strong>{state.actor.user}</strong>
            {state.actor.roles.includes('admin') ? ' (admin)' : ''}
          </span>
          <button
            type="button"
            onClick={() => {
              // A person signing out (not a token that lapsed): the provider must ask who is next.
              askLoginNextTime()
              void signOut()
            }}
          >
            Sign out
          </button>
        </div>
      ) : null}
    </header>
  )
}
