import type { Storage } from '@assets/core'

type Method = 'stat' | 'delete' | 'upload' | 'move'

/**
 * A storage that stops once, at the first call of `method` on `location` (or a location it
 * accepts) — after the call
 * when `after`, so the caller holds a stale answer — until `resume()`. For tests that put two
 * operations in an exact order (a put and a gc), on the real backend underneath.
 */
export function pausedStorage(storage: Storage, method: Method, location: string | ((at: string) => boolean), options: { after?: boolean } = {}) {
  const matches = typeof location === 'string' ? (at: string) => at === location : location
  let reachedResolve: () => void = () => {}
  const reached = new Promise<void>((resolve) => {
    reachedResolve = resolve
  })
  let resumeResolve: () => void = () => {}
  const resumed = new Promise<void>((resolve) => {
    resumeResolve = resolve
  })
  let armed = true
  const pauseHere = async (name: string, at: string) => {
    if (!armed || name !== method || !matches(at)) return
    armed = false
    reachedResolve()
    await resumed
  }
  const wrapped = new Proxy(storage, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      if (name !== method) return value.bind(target)
      return async (...args: unknown[]) => {
        const at = String(args[name === 'move' ? 1 : 0])
        if (!options.after) await pauseHere(name, at)
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
        if (options.after) await pauseHere(name, at)
        return result
      }
    },
  }) as Storage
  return { storage: wrapped, reached, resume: () => resumeResolve() }
}
