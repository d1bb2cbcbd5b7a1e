import type { S3Client } from '@aws-sdk/client-s3'
import { withRetry } from '@assets/core'
import { isRetryableS3Error, toAssetError } from './s3-errors.js'
import { UploadMemory } from './upload-memory.js'

/** Counters of what crossed the wire, for progress checks, tests and benchmarks. */
export interface TransferStats {
  /** Request body bytes sent by successful and failed part / object uploads. */
  bytesSent: number
  /** Object bytes received by downloads and reads. */
  bytesReceived: number
  requests: number
  retries: number
}

export interface S3Settings {
  bucket: string
  /** `datasets/` or `` (see normalizePrefix). */
  prefix: string
  /** Multipart uploads: bytes per part, parts in flight. */
  partSize: number
  concurrency: number
  /** Bytes of part buffers all uploads hold at once; default 2 × concurrency × partSize. */
  uploadMemoryBytes?: number
  /** Downloads: bytes per ranged GET, GETs in flight. */
  rangeSize: number
  rangeConcurrency: number
  maxAttempts: number
  retryBaseDelayMs: number
  journalDir: string
  warn(message: string): void
}

/** The client and settings every transfer shares, with the one way to send a request. */
export class S3Context {
  readonly stats: TransferStats = { bytesSent: 0, bytesReceived: 0, requests: 0, retries: 0 }
  /** Shared by every upload through this context, so that N uploads at once hold a fixed total. */
  readonly uploadMemory: UploadMemory

  constructor(
    readonly client: S3Client,
    readonly settings: S3Settings,
  ) {
    this.uploadMemory = new UploadMemory(settings.uploadMemoryBytes ?? 2 * settings.concurrency * settings.partSize, settings.partSize)
  }

  /** Runs `request` with retries (5xx, throttling, timeouts, dropped connections); errors come back as the SDK threw them. */
  async retrying<T>(request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(
      async () => {
        this.stats.requests++
        return request()
      },
      {
        attempts: this.settings.maxAttempts,
        baseDelayMs: this.settings.retryBaseDelayMs,
        signal,
        retryable: isRetryableS3Error,
        onRetry: () => {
          this.stats.retries++
        },
      },
    )
  }

  /** Like `retrying`, with the final error turned into a core error that names `what`. */
  async call<T>(what: string, request: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await this.retrying(request, signal)
    } catch (error) {
      throw toAssetError(error, what)
    }
  }
}
