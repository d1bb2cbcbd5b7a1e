/** How long the workers may run without yielding to the event loop. */
const YIELD_AFTER_MS = 20

/**
 * Runs `work` over `items` with at most `concurrency` at once. After a failure no new item
 * starts, and the call settles only when every running item has: nothing is still writing
 * (into a staging folder, say) after the caller has seen the error.
 */
export async function runPool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  let failure: { error: unknown } | undefined
  let lastYield = performance.now()
  async function worker(): Promise<void> {
    while (!failure && next < items.length) {
      // Work that completes without waiting (small local files read with synchronous calls)
      // would otherwise run to the end in microtasks, starving timers and signal handlers.
      if (performance.now() - lastYield > YIELD_AFTER_MS) {
        lastYield = performance.now()
        await new Promise((resolve) => setImmediate(resolve))
        continue
      }
      const index = next++
      try {
        results[index] = await work(items[index] as T, index)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  if (failure) throw failure.error
  return results
}
