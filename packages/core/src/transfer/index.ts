export { checkEndpoint } from './endpoint.js'
export { backoffDelay, isRetryableStatus, isTransientNetworkError, type RetryOptions, withRetry } from './retry.js'
export { runPool } from './run-pool.js'
