import type { Storage, StorageCapabilities } from '@assets/core'

/** What each storage test receives: a fresh instance (closed afterwards) and a scratch folder (removed afterwards). */
export interface StorageCase {
  storage: Storage
  scratch: string
  capabilities: StorageCapabilities
  /** A location no other test uses. */
  location(): string
  /** Puts `bytes` at `location`: by upload, or by the seed hook on a read-only backend. */
  place(location: string, bytes: Uint8Array): Promise<void>
}

export type StorageTest = (name: string, body: (c: StorageCase) => Promise<void>) => void

export async function objectsUnder(storage: Storage, prefix: string): Promise<Array<{ location: string; size: number }>> {
  const found: Array<{ location: string; size: number }> = []
  for await (const info of storage.list(prefix)) found.push({ location: info.location, size: info.size })
  return found.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0))
}

export async function locationsUnder(storage: Storage, prefix: string): Promise<string[]> {
  return (await objectsUnder(storage, prefix)).map((o) => o.location)
}
