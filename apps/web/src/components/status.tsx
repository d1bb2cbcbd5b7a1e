import type { ReactNode } from 'react'
import { ApiError } from '../api/api-error'

/** A region that is waiting for the server: announced politely to screen readers. */
export function Loading({ what }: { what: string }) {
  return (
    <p className="status loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  )
}

/** What to do about an error, by its code: the server's message plus the next step. */
export function adviceFor(error: unknown): string {
  if (!ApiError.isInstance(error)) return 'Reload the page; if it keeps failing, the server log says why.'
  switch (error.code) {
    case 'NETWORK':
      return 'Check that the asset server is running and reachable, then try again.'
    case 'ASSET_NOT_FOUND':
      return 'Check the key and version. An asset you may not read looks the same as one that does not exist: ask its owner for access.'
    case 'ACCESS_DENIED':
      return 'Your token may not do this. Ask an admin of the asset (or one with the admin role).'
    case 'UNAUTHENTICATED':
      return 'Sign in again with a valid token.'
    case 'BACKEND_UNAVAILABLE':
      return 'The server’s database or store is not answering: try again in a moment.'
    case 'INVALID_QUERY':
    case 'INVALID_INPUT':
      return 'Change the input as the message says.'
    default:
      return error.status >= 500 ? 'The server failed: try again; the server log has the details.' : 'Change the request as the message says and try again.'
  }
}

/** An error and what to do about it (`advice` when the page knows better than the error's code). */
export function ErrorNote({ error, title, advice, children }: { error: unknown; title?: string; advice?: string; children?: ReactNode }) {
  const message = error instanceof Error ? error.message : String(error)
  const code = ApiError.isInstance(error) ? error.code : undefined
  return (
    <div className="status error" role="alert">
      <p>
        <strong>{title ?? 'Something went wrong'}:</strong> {message}
        {code ? <span className="code"> ({code})</span> : null}
      </p>
      <p>{advice ?? adviceFor(error)}</p>
      {children}
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="status empty">{children}</div>
}
