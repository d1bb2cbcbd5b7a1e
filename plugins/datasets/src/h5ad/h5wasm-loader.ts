import { InvalidInputError } from '@assets/core'

type H5wasm = typeof import('h5wasm/node')
export type H5File = InstanceType<H5wasm['File']>
export type H5Group = InstanceType<H5wasm['Group']>
export type H5Dataset = InstanceType<H5wasm['Dataset']>

let loading: Promise<H5wasm> | undefined

/**
 * h5wasm's Node build, loaded once. Its HDF5 library prints a diagnostic trace on stderr for
 * every failed call (a missing key, a damaged file); we report those failures ourselves as
 * issues, so the trace is dropped while a call is in progress (`quietly`).
 */
export function loadH5wasm(): Promise<H5wasm> {
  loading ??= (async () => {
    const original = console.error
    // Emscripten binds its error printer when the module is instantiated: give it one that
    // consults `muted` at each call instead of the console itself.
    console.error = (...args: unknown[]) => {
      if (muted === 0) original(...args)
    }
    try {
      const h5 = await import('h5wasm/node')
      await h5.ready
      return h5
    } finally {
      console.error = original
    }
  })()
  return loading
}

let muted = 0

/** Runs a synchronous h5wasm call with HDF5's diagnostic trace silenced. */
export function quietly<T>(call: () => T): T {
  muted++
  try {
    return call()
  } finally {
    muted--
  }
}

/** Opens an HDF5 file read-only; a file HDF5 cannot open is refused with a clear error. */
export async function openH5File(path: string): Promise<H5File> {
  const h5 = await loadH5wasm()
  let file: H5File
  try {
    file = quietly(() => new h5.File(path, 'r'))
  } catch (cause) {
    throw new InvalidInputError(`cannot open ${path} as HDF5: ${(cause as Error).message}`, { cause })
  }
  if (typeof file.file_id === 'bigint' && file.file_id < 0n) {
    throw new InvalidInputError(`cannot open ${path} as HDF5: the file is damaged, truncated or not HDF5`)
  }
  return file
}
