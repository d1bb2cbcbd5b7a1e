import { describe, expect, it } from 'vitest'
import { ConfigInvalidError, checkEndpoint, isRetryableStatus, isTransientNetworkError, withRetry } from '../src/index.js'

describe('withRetry', () => {
  it('retries a failing operation until it succeeds', async () => {
    let calls = 0
    const result = await withRetry(
      async () => {
        calls++
        if (calls < 3) throw new Error('flaky')
        return 'ok'
      },
      { baseDelayMs: 1 },
    )
    expect(result).toBe('ok')
    expect(calls).toBe(3)
  })

  it('stops after the given attempts and throws the last error', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new Error(`failure ${calls}`)
        },
        { attempts: 4, baseDelayMs: 1 },
      ),
    ).rejects.toThrow('failure 4')
    expect(calls).toBe(4)
  })

  it('does not retry an error that is not retryable', async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw Object.assign(new Error('denied'), { status: 403 })
        },
        { baseDelayMs: 1, retryable: (e) => isRetryableStatus((e as { status: number }).status) },
      ),
    ).rejects.toThrow('denied')
    expect(calls).toBe(1)
  })

  it('tells onRetry each wait, bounded by maxDelayMs', async () => {
    const waits: number[] = []
    await withRetry(
      async (attempt) => {
        if (attempt < 5) throw new Error('again')
      },
      { baseDelayMs: 4, maxDelayMs: 10, onRetry: (_e, _a, delay) => waits.push(delay) },
    )
    expect(waits).toHaveLength(4)
    for (const w of waits) expect(w).toBeLessThanOrEqual(10)
  })

  it('gives up at once when the signal is aborted during a wait', async () => {
    const controller = new AbortController()
    let calls = 0
    const run = withRetry(
      async () => {
        calls++
        setTimeout(() => controller.abort(), 5)
        throw new Error('slow server')
      },
      { baseDelayMs: 60_000, maxDelayMs: 60_000, signal: controller.signal, onRetry: () => {} },
    )
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    expect(calls).toBe(1)
  })
})

describe('transient errors', () => {
  it('finds a network code along the cause chain', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    expect(isTransientNetworkError(new Error('wrapped', { cause: new Error('again', { cause: reset }) }))).toBe(true)
    expect(isTransientNetworkError(new Error('bad request'))).toBe(false)
  })

  it('counts a body undici found cut short on a closing connection as transient', () => {
    const cut = Object.assign(new Error('Response body length does not match content-length header'), { code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' })
    expect(isTransientNetworkError(cut)).toBe(true)
  })

  it('treats 408, 429 and 5xx as retryable, other statuses not', () => {
    expect([408, 429, 500, 503].map(isRetryableStatus)).toEqual([true, true, true, true])
    expect([400, 401, 403, 404, 416].map(isRetryableStatus)).toEqual([false, false, false, false, false])
  })
})

describe('checkEndpoint', () => {
  it('accepts https and returns the parsed URL', () => {
    expect(checkEndpoint('s3', 'endpoint', 'https://store.example:9000/', false).host).toBe('store.example:9000')
  })

  it('refuses plain http unless insecure storage is allowed, saying how to allow it', () => {
    const refused = (() => {
      try {
        checkEndpoint('http', 'baseUrl', 'http://127.0.0.1:8080', false)
      } catch (error) {
        return error
      }
    })()
    expect(ConfigInvalidError.isInstance(refused)).toBe(true)
    expect(String((refused as Error).message)).toContain('ALLOW_INSECURE_STORAGE=true')
    expect(checkEndpoint('http', 'baseUrl', 'http://127.0.0.1:8080', true).port).toBe('8080')
  })

  it('refuses credentials inside the URL without echoing them', () => {
    let message = ''
    try {
      checkEndpoint('http', 'baseUrl', 'https://alice:s3cret@example.org', false)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain('must not carry credentials')
    expect(message).not.toContain('s3cret')
  })

  it('refuses what is not an http(s) URL', () => {
    expect(() => checkEndpoint('s3', 'endpoint', 'ftp://example.org', true)).toThrow(/http\(s\)/)
    expect(() => checkEndpoint('s3', 'endpoint', 'not a url', true)).toThrow(/not a URL/)
  })
})
