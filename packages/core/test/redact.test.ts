import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AssetConfig, isSecretPath, REDACTED, redactSecrets, redactUrl, schemaProblems, Type } from '../src/index.js'

let cwd: string
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'assets-redact-'))
})
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true })
})

describe('header values', () => {
  const HEADERS = { 'X-Auth': 'xauth-secret', 'X-Auth-Key': 'xauthkey-secret', Authentication: 'authn-secret', 'X-Team': 'team-secret' }

  it('every value of a header map is hidden whatever the header is called; the names stay', () => {
    expect(redactSecrets({ storage: { type: 'http', headers: HEADERS } })).toEqual({
      storage: { type: 'http', headers: { 'X-Auth': REDACTED, 'X-Auth-Key': REDACTED, Authentication: REDACTED, 'X-Team': REDACTED } },
    })
    expect(redactSecrets({ extraHeaders: { 'X-Whatever': 'v' } })).toEqual({ extraHeaders: { 'X-Whatever': REDACTED } })
  })

  it('a header map given as its JSON text is hidden whole', () => {
    expect(redactSecrets({ headers: JSON.stringify(HEADERS) })).toEqual({ headers: REDACTED })
  })

  it('HTTP_STORAGE_HEADERS never shows in a printed config, JSON or inspected', () => {
    const config = AssetConfig.load({
      env: { HOME: cwd, STORAGE_TYPE: 'http', HTTP_STORAGE_BASE_URL: 'https://store.example', HTTP_STORAGE_HEADERS: JSON.stringify(HEADERS) },
      cwd,
    })
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10 })]) {
      for (const secret of Object.values(HEADERS)) expect(text).not.toContain(secret)
    }
    expect(config.redacted().storage.headers).toEqual({ 'X-Auth': REDACTED, 'X-Auth-Key': REDACTED, Authentication: REDACTED, 'X-Team': REDACTED })
    // The values themselves are untouched: the plugin needs them.
    expect(config.storage.headers).toEqual(HEADERS)
  })

  it('a problem with a header value names the header, never the value', () => {
    const schema = Type.Object({ headers: Type.Record(Type.String(), Type.Integer()) })
    const problems = schemaProblems(schema, { headers: { 'X-Auth': 'xauth-secret' } }, 'http')
    expect(problems).toHaveLength(1)
    expect(problems[0]?.field).toBe('http.headers.X-Auth')
    expect(JSON.stringify(problems)).not.toContain('xauth-secret')
    expect(isSecretPath(['storage', 'headers', 'X-Team'])).toBe(true)
    expect(isSecretPath(['storage', 'baseUrl'])).toBe(false)
  })
})

describe('signed URLs', () => {
  it('hides every parameter that signs or authorises a URL', () => {
    const presigned =
      'https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101&X-Amz-Date=20250101T000000Z' +
      '&X-Amz-Expires=3600&X-Amz-Security-Token=sts-secret&X-Amz-Signature=abcdef0123&X-Amz-SignedHeaders=host'
    expect(redactUrl(presigned)).toBe(
      'https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Date=20250101T000000Z' +
        '&X-Amz-Expires=3600&X-Amz-Security-Token=***&X-Amz-Signature=***&X-Amz-SignedHeaders=host',
    )
    expect(redactUrl('https://cdn.example/f?Expires=1&Signature=cf-secret&Key-Pair-Id=K1')).toBe('https://cdn.example/f?Expires=1&Signature=***&Key-Pair-Id=K1')
    expect(redactUrl('https://acct.blob.core.windows.net/c/b?sv=2024&sig=az-secret')).toBe('https://acct.blob.core.windows.net/c/b?sv=2024&sig=***')
    expect(redactUrl('https://h/x?access_token=oauth-secret&token=t&key=api-secret&page=2')).toBe('https://h/x?access_token=***&token=***&key=***&page=2')
    expect(redactUrl('https://storage.googleapis.com/b/o?X-Goog-Signature=gs-secret')).toBe('https://storage.googleapis.com/b/o?X-Goog-Signature=***')
  })

  it('hides the user-info of a URL: the password, or a name given alone (often a token)', () => {
    expect(redactUrl('https://user:pass@h/x')).toBe('https://user:***@h/x')
    expect(redactUrl('https://ghp_tokenvalue@github.com/o/r.git')).toBe('https://***@github.com/o/r.git')
    expect(redactUrl('GET "https://h/x?sig=s3cr3t" failed')).toBe('GET "https://h/x?sig=***" failed')
    expect(redactUrl('file /cwd/https:/tok:pw-secret@h/c.yaml does not exist')).toBe('file /cwd/https:/tok:***@h/c.yaml does not exist')
  })

  it('leaves a message without URL secrets as written', () => {
    const text = 'put datasets/a@1.0.0: https://h/blobs/sha256/ab?partNumber=2&uploadId=u1 failed (HTTP 503)'
    expect(redactUrl(text)).toBe(text)
  })

  it('a signed URL inside any config value is hidden when the config is printed', () => {
    const config = AssetConfig.load({
      env: { HOME: cwd, STORAGE_TYPE: 'http', HTTP_STORAGE_BASE_URL: 'https://store.example/?X-Amz-Signature=sig-secret' },
      cwd,
    })
    expect(JSON.stringify(config)).not.toContain('sig-secret')
  })
})
