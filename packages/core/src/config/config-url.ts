import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { ConfigProblem } from '../errors/index.js'
import { mapSectionEnv } from './env-mapping.js'
import { redactUrl } from './redact.js'

type Env = Record<string, string | undefined>

/**
 * Reading `CONFIG_PATH=https://…`. Core fetches with Node's own `node:https` rather than the
 * HTTP storage plugin: core must not depend on a plugin, and `fetch` cannot turn certificate
 * checking off per request (HTTP_STORAGE_VERIFY_SSL) without undici. The plugin's variables
 * (HTTP_STORAGE_AUTH_TYPE, _AUTH_TOKEN, _USERNAME, _PASSWORD, _HEADERS, _VERIFY_SSL) are read
 * through the same env mapping, so both authenticate the same way.
 */
export interface ConfigUrlOptions {
  /** The merged environment (`.env` and process), for the HTTP_STORAGE_* auth variables. */
  env: Env
  /** ALLOW_INSECURE_STORAGE from the environment: a fetched config cannot allow its own fetch. */
  allowInsecure: boolean
  /** Default 10 s, for the whole exchange including redirects. */
  timeoutMs?: number
  /** Larger bodies are refused (the caller's limit for config files). */
  maxBytes: number
  warn: (message: string) => void
}

/**
 * The outcome: the text, or why not. `unreachable` (no connection, a timeout, a 5xx) lets the
 * caller fall back to its last good copy; anything else (a 4xx, a refused URL or redirect, a
 * bad certificate, a body too large) is the server's or the user's answer and is a problem.
 */
export type ConfigUrlResult = { text: string } | { unreachable: string } | { problem: string }

export const CONFIG_URL_TIMEOUT_MS = 10_000
const MAX_REDIRECTS = 5
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// biome-ignore lint/suspicious/noControlCharactersInRegex: a header value with CR, LF or NUL could split the request
const UNSAFE_VALUE = /[\u0000\r\n]/
// Failures to reach the server at all; a TLS failure is not one of them: something answered
// and could not prove it is the server, which an old copy must not paper over.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED'])

/** Whether a CONFIG_PATH names a URL (any `scheme://`) rather than a file. */
export function isConfigUrl(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path)
}

/** Checks the URL and auth variables, then fetches; never throws for network failures. */
export async function fetchConfigUrl(raw: string, options: ConfigUrlOptions): Promise<ConfigUrlResult> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { problem: 'is not a URL' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { problem: `must be an https:// URL, not ${url.protocol}` }
  if (url.username !== '' || url.password !== '') return { problem: 'must not carry credentials; set HTTP_STORAGE_AUTH_TYPE and its variables' }
  if (url.protocol === 'http:' && !options.allowInsecure) {
    return { problem: `${url.origin} is plain http://, which sends the config and credentials unencrypted; use https:// or set ALLOW_INSECURE_STORAGE=true` }
  }
  const problems: ConfigProblem[] = []
  const http = mapSectionEnv('storage', 'http', options.env, problems).options
  const auth = authHeaders(http, problems)
  if (problems.length > 0) return { problem: problems.map((p) => `${p.field} ${p.message}`).join('; ') }
  const verifyTls = http.verifySsl !== false
  if (!verifyTls && url.protocol === 'https:') {
    options.warn(`config: TLS certificate verification is off for ${url.origin} (HTTP_STORAGE_VERIFY_SSL=false): anyone on the network path can read or alter the config`)
  }
  const signal = AbortSignal.timeout(options.timeoutMs ?? CONFIG_URL_TIMEOUT_MS)
  const limits = { verifyTls, signal, maxBytes: options.maxBytes, allowInsecure: options.allowInsecure }
  return follow(url, auth, limits)
}

interface Limits {
  verifyTls: boolean
  signal: AbortSignal
  maxBytes: number
  allowInsecure: boolean
}

async function follow(start: URL, auth: Record<string, string>, limits: Limits): Promise<ConfigUrlResult> {
  let url = start
  for (let hop = 0; ; hop++) {
    // Credentials go only to the origin the user named, as the HTTP plugin does.
    const headers = { accept: 'application/yaml, text/yaml, text/plain, */*', 'user-agent': 'assets-config', ...(url.origin === start.origin ? auth : {}) }
    let response: IncomingMessage
    try {
      response = await get(url, headers, limits)
    } catch (error) {
      return failure(error, url, limits.signal)
    }
    const status = response.statusCode ?? 0
    const where = redactUrl(url.href)
    if (status >= 300 && status < 400 && response.headers.location !== undefined) {
      response.resume()
      if (hop >= MAX_REDIRECTS) return { problem: `${where} redirected more than ${MAX_REDIRECTS} times` }
      let next: URL
      try {
        next = new URL(response.headers.location, url)
      } catch {
        return { problem: `${where} redirected to something that is not a URL` }
      }
      if (next.protocol === 'http:' && url.protocol === 'https:') return { problem: `${where} redirected from https:// to plain http://; refused` }
      if (next.protocol === 'http:' && !limits.allowInsecure) return { problem: `${where} redirected to plain http://; set ALLOW_INSECURE_STORAGE=true to allow it` }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return { problem: `${where} redirected to ${next.protocol}; refused` }
      url = next
      continue
    }
    if (status >= 500) {
      response.resume()
      return { unreachable: `${where} answered ${status}` }
    }
    if (status !== 200) {
      response.resume()
      return { problem: `${where} answered ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}` }
    }
    try {
      return await readBody(response, where, limits)
    } catch (error) {
      return failure(error, url, limits.signal)
    }
  }
}

function get(url: URL, headers: Record<string, string>, limits: Limits): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    // A connection of its own (agent: false): one request needs no pool, and a pooled socket the
    // server has since closed would fail as ECONNRESET instead of saying what is wrong.
    const options = { method: 'GET', headers, signal: limits.signal, rejectUnauthorized: limits.verifyTls, agent: false }
    const req = request(url, options, resolve)
    req.on('error', reject)
    req.end()
  })
}

async function readBody(response: IncomingMessage, where: string, limits: Limits): Promise<ConfigUrlResult> {
  const tooLarge = { problem: `${where} is larger than ${limits.maxBytes} bytes; a config may be at most that` }
  const declared = Number(response.headers['content-length'])
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    response.destroy()
    return tooLarge
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limits.maxBytes) {
      response.destroy()
      return tooLarge
    }
    chunks.push(chunk)
  }
  return { text: Buffer.concat(chunks).toString('utf8') }
}

function failure(error: unknown, url: URL, signal: AbortSignal): ConfigUrlResult {
  const where = redactUrl(url.href)
  if (signal.aborted) return { unreachable: `${where} did not answer within the time limit` }
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return { unreachable: `cannot reach ${where} (${code})` }
  // Node's own messages name the host and the TLS failure, never a header.
  const message = error instanceof Error ? error.message : String(error)
  return { problem: `cannot read ${where}: ${redactUrl(message)}${code !== undefined ? ` (${code})` : ''}` }
}

/** The HTTP storage plugin's credentials, from its variables; problems name variables, never values. */
function authHeaders(options: Record<string, unknown>, problems: ConfigProblem[]): Record<string, string> {
  const value = (field: string, variable: string): string | undefined => {
    const v = options[field]
    if (typeof v !== 'string' || v === '') problems.push({ field: variable, message: `is required when HTTP_STORAGE_AUTH_TYPE is ${String(options.authType)}` })
    else if (UNSAFE_VALUE.test(v)) problems.push({ field: variable, message: 'must not contain CR, LF or NUL' })
    else return v
    return undefined
  }
  const headers: Record<string, string> = {}
  for (const [name, v] of Object.entries((options.headers ?? {}) as Record<string, string>)) {
    if (!TOKEN.test(name) || UNSAFE_VALUE.test(v)) problems.push({ field: 'HTTP_STORAGE_HEADERS', message: `has an invalid header ${JSON.stringify(name.slice(0, 40))}` })
    else headers[name.toLowerCase()] = v
  }
  switch (options.authType ?? 'None') {
    case 'Basic': {
      const user = value('username', 'HTTP_STORAGE_USERNAME')
      const password = typeof options.password === 'string' ? options.password : ''
      if (user !== undefined) headers.authorization = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`
      break
    }
    case 'Bearer': {
      const token = value('authToken', 'HTTP_STORAGE_AUTH_TOKEN')
      if (token !== undefined) headers.authorization = `Bearer ${token}`
      break
    }
    case 'APIKey': {
      const key = value('authToken', 'HTTP_STORAGE_AUTH_TOKEN')
      if (key !== undefined) headers['x-api-key'] = key
      break
    }
  }
  return headers
}
