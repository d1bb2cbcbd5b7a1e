import { useCallback, useEffect, useRef, useState } from 'react'

export type Resource<T> = { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'ready'; data: T }

/**
 * What `load` answers, reloaded whenever `id` changes (the request it stands for) or on
 * `reload()`. An answer that arrives after the id moved on is dropped, so a slow request never
 * overwrites a newer one.
 */
export function useResource<T>(id: string, load: () => Promise<T>): Resource<T> & { reload: () => void } {
  const [state, setState] = useState<{ id: string; resource: Resource<T> }>({ id, resource: { status: 'loading' } })
  const [generation, setGeneration] = useState(0)
  const loader = useRef(load)
  loader.current = load
  // The request: the id, and which reload of it.
  const request = `${generation}:${id}`
  useEffect(() => {
    let current = true
    const id = request.slice(request.indexOf(':') + 1)
    // A reload of the same request keeps what is on screen until the new answer replaces it:
    // a form's confirmation, an open panel and the focus survive "save" (a new id still shows loading).
    setState((previous) => (previous.id === id && previous.resource.status === 'ready' ? previous : { id, resource: { status: 'loading' } }))
    loader.current().then(
      (data) => current && setState({ id, resource: { status: 'ready', data } }),
      (error: unknown) => current && setState({ id, resource: { status: 'error', error } }),
    )
    return () => {
      current = false
    }
  }, [request])
  const reload = useCallback(() => setGeneration((g) => g + 1), [])
  const resource: Resource<T> = state.id === id ? state.resource : { status: 'loading' }
  return { ...resource, reload }
}
