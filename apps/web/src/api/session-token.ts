/**
 * The API token of this tab: kept in sessionStorage (gone when the tab closes, never shared with
 * other tabs), read by the API client on every request.
 */
const STORAGE_KEY = 'assets.token'

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined
  } catch {
    return undefined
  }
}

export function storeToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token)
}

export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY)
}

type Listener = (message: string) => void
const listeners = new Set<Listener>()

/** Called with the server's message whenever it answers 401: the token is wrong, expired or revoked. */
export function onUnauthenticated(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function reportUnauthenticated(message: string): void {
  for (const listener of listeners) listener(message)
}
