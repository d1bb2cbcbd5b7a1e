export { checkEndpoint } from './endpoint.js'
export { backoffDelay, isRetryableStatus, isTransientNetworkError, type RetryOptions, withRetry } from './retry.js'
export { runPool } from './run-pool.js'
export { SnapshotFile } from './snapshot-file.js'
export { type DownloadHash, type FillingSpan, SequentialHash } from './download-hash.js'
export { WorkerHash } from './ordered-hash-worker.js'
export {
  type FileIdentity,
  fileIdentity,
  type RangeIdentity,
  type RangeJournal,
  RangeJournalWriter,
  rangeJournalPath,
  readRangeJournal,
  removeRangeJournal,
  type Span,
} from './range-journal.js'
export { planSpans, type RangedDownloadResult, type RangedDownloadSettings, type RangedObject, type RangeReader, rangedDownload } from './ranged-download.js'
