import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkEndpoint, type ConfigProblem, ConfigInvalidError, type Logger } from '@assets/core'
import type { HttpStorageOptions } from './http-options.js'

/** Everything a request needs, resolved once from the options; creating it does no I/O. */
export interface HttpSettings {
  /** The base URL, always ending in `/`, without user info. */
  base: URL
  /** Sent only to the base URL's origin: credentials and the configured headers. */
  originHeaders: Record<string, string>
  verifyTls: boolean
  ca?: string
  caFile?: string
  readOnly: boolean
  list: boolean
  connections: number
  rangeSize: number
  rangeConcurrency: number
  journalDir: string
  connectTimeoutMs: number
  readTimeoutMs: number
  retries: number
  retryBaseDelayMs: number
  maxRedirects: number
  allowInsecure: boolean
}

export interface HttpStorageContext {
  allowInsecureStorage?: boolean
  logger?: Logger
  /** The cache folder: range journals go under it unless journalDir is set. */
  cacheDir?: string
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// biome-ignore lint/suspicious/noControlCharactersInRegex: a header value with CR, LF or NUL could split the request
const UNSAFE_VALUE = /[\u0000\r\n]/

/** Validates the options as a whole and reports every problem at once, naming options and variables, never values. */
export function resolveSettings(options: HttpStorageOptions, context: HttpStorageContext): HttpSettings {
  const allowInsecure = context.allowInsecureStorage === true
  const problems: ConfigProblem[] = []
  let base: URL | undefined
  try {
    base = checkEndpoint('http', 'baseUrl', options.baseUrl, allowInsecure)
  } catch (error) {
    if (ConfigInvalidError.isInstance(error)) problems.push(...error.problems)
    else throw error
  }
  const headers = parseHeaders(options.headers, problems)
  const credentials = credentialHeaders(options, problems)
  if (problems.length > 0 || base === undefined) throw new ConfigInvalidError(problems)
  if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`
  base.search = ''
  base.hash = ''

  const verifyTls = options.verifySsl ?? true
  if (!verifyTls && base.protocol === 'https:') {
    context.logger?.warn(
      `http: TLS certificate verification is off for ${base.origin} (verifySsl / HTTP_STORAGE_VERIFY_SSL=false): ` +
        'anyone on the network path can read or alter transfers; prefer giving the CA with the ca or caFile option',
    )
  }
  if ((options.authType ?? 'None') === 'None' && (options.authToken || options.username || options.password)) {
    context.logger?.warn('http: credentials are configured but authType is None (HTTP_STORAGE_AUTH_TYPE), so none are sent')
  }
  const readOnly = options.readOnly ?? false
  return {
    base,
    originHeaders: { ...headers, ...credentials },
    verifyTls,
    ca: options.ca,
    caFile: options.caFile,
    readOnly,
    list: options.list ?? !readOnly,
    // A download's parallel ranges each need a connection of their own.
    connections: Math.max(options.connections ?? 8, options.rangeConcurrency ?? 8),
    rangeSize: options.rangeSize ?? 8 << 20,
    rangeConcurrency: options.rangeConcurrency ?? 8,
    journalDir: options.journalDir ?? join(context.cacheDir ?? join(tmpdir(), 'assets-cache'), 'http-journals'),
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    readTimeoutMs: options.readTimeoutMs ?? 60_000,
    retries: options.retries ?? 4,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 200,
    maxRedirects: options.maxRedirects ?? 5,
    allowInsecure,
  }
}

// Header values usually carry credentials: problems name the header, never its value, and
// JSON.parse's own message (which quotes the text) is not passed on.
function parseHeaders(given: HttpStorageOptions['headers'], problems: ConfigProblem[]): Record<string, string> {
  if (given === undefined) return {}
  let parsed: unknown = given
  if (typeof given === 'string') {
    try {
      parsed = JSON.parse(given)
    } catch {
      problems.push({ field: 'http.headers', message: 'is not valid JSON (HTTP_STORAGE_HEADERS); expected an object of header names to string values' })
      return {}
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({ field: 'http.headers', message: 'expected an object of header names to string values (HTTP_STORAGE_HEADERS)' })
    return {}
  }
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(parsed)) {
    if (!TOKEN.test(name)) problems.push({ field: 'http.headers', message: `${JSON.stringify(name.slice(0, 40))} is not a valid header name` })
    else if (typeof value !== 'string' || UNSAFE_VALUE.test(value)) {
      problems.push({ field: 'http.headers', message: `the value of ${name} must be a string without CR, LF or NUL` })
    } else headers[name.toLowerCase()] = value
  }
  return headers
}

function credentialHeaders(options: HttpStorageOptions, problems: ConfigProblem[]): Record<string, string> {
  const require = (field: 'authToken' | 'username' | 'password', variable: string, why: string): string | undefined => {
    const value = options[field]
    if (value === undefined || value === '') problems.push({ field: `http.${field}`, message: `is required ${why} (set ${variable})` })
    else if (UNSAFE_VALUE.test(value)) problems.push({ field: `http.${field}`, message: 'must not contain CR, LF or NUL' })
    else return value
    return undefined
  }
  switch (options.authType ?? 'None') {
    case 'None':
      return {}
    case 'Basic': {
      const user = require('username', 'HTTP_STORAGE_USERNAME', 'when authType is Basic')
      const password = options.password ?? ''
      if (user?.includes(':')) problems.push({ field: 'http.username', message: 'must not contain ":" (Basic auth separates user and password with it)' })
      return user === undefined ? {} : { authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` }
    }
    case 'Bearer': {
      const token = require('authToken', 'HTTP_STORAGE_AUTH_TOKEN', 'when authType is Bearer')
      return token === undefined ? {} : { authorization: `Bearer ${token}` }
    }
    case 'APIKey': {
      const key = require('authToken', 'HTTP_STORAGE_AUTH_TOKEN', 'when authType is APIKey')
      const header = options.apiKeyHeader ?? 'X-API-Key'
      if (!TOKEN.test(header)) problems.push({ field: 'http.apiKeyHeader', message: 'is not a valid header name' })
      return key === undefined ? {} : { [header.toLowerCase()]: key }
    }
  }
}
