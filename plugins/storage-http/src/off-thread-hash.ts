import { Worker } from 'node:worker_threads'
import type { ContentDigest } from '@assets/core'

// Inline so that it runs the same from src (tests) and dist; CommonJS because `eval` workers are.
// Each buffer goes back once hashed, so the same few buffers (their pages already mapped) carry
// the whole download.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
const hash = require('node:crypto').createHash('sha256')
parentPort.on('message', (message) => {
  if (message === 'digest') parentPort.postMessage({ digest: hash.digest('hex') })
  else {
    hash.update(new Uint8Array(message.memory, 0, message.length))
    parentPort.postMessage({ memory: message.memory }, [message.memory])
  }
})
`

/** Buffers in circulation: bounds memory when the disk outruns the hash. */
const POOL_SIZE = 6

/**
 * sha256 on a worker thread, so that a large download hashes on one core while the main thread
 * receives and writes on another. Bytes are copied once into a pooled buffer, which is then
 * transferred to the worker and back, never copied again.
 */
export class OffThreadHash {
  readonly #worker = new Worker(WORKER_SOURCE, { eval: true })
  readonly #free: ArrayBuffer[] = []
  #allocated = 0
  #failure: Error | undefined
  #wake: (() => void) | undefined
  #result: { resolve: (hex: string) => void; reject: (error: Error) => void } | undefined

  constructor(private readonly bufferBytes: number) {
    this.#worker.on('message', (message: { memory?: ArrayBuffer; digest?: string }) => {
      if (message.memory !== undefined && message.memory.byteLength === this.bufferBytes) this.#free.push(message.memory)
      if (message.digest !== undefined) this.#result?.resolve(message.digest)
      this.#wake?.()
    })
    const fail = (error: Error) => {
      this.#failure ??= error
      this.#result?.reject(this.#failure)
      this.#wake?.()
    }
    this.#worker.on('error', fail)
    this.#worker.on('exit', () => fail(new Error('the hashing worker stopped')))
  }

  /** A buffer of at least `bytes` to fill and pass to `update`; waits while all of the pool is with the worker. */
  async buffer(bytes: number): Promise<Buffer> {
    if (bytes > this.bufferBytes) return Buffer.from(new ArrayBuffer(bytes))
    for (;;) {
      this.#check()
      const memory = this.#free.pop()
      if (memory !== undefined) return Buffer.from(memory)
      if (this.#allocated < POOL_SIZE) {
        this.#allocated++
        return Buffer.from(new ArrayBuffer(this.bufferBytes))
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }

  /** Hashes the first `length` bytes of a buffer from `buffer()`, which goes to the worker (do not touch it again). */
  update(buffer: Buffer, length: number): void {
    this.#check()
    const memory = buffer.buffer as ArrayBuffer
    this.#worker.postMessage({ memory, length }, [memory])
  }

  /** The digest of everything passed to `update`; the worker is stopped afterwards. */
  async digest(): Promise<ContentDigest> {
    this.#check()
    const hex = await new Promise<string>((resolve, reject) => {
      this.#result = { resolve, reject }
      this.#worker.postMessage('digest')
    })
    await this.close()
    return `sha256:${hex}`
  }

  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit')
    await this.#worker.terminate()
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure
  }
}
