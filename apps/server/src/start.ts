import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { type AssetServerOptions, createAssetServer } from './app.js'

export interface StartOptions extends Omit<AssetServerOptions, 'https'> {
  host?: string
  port?: number
  tlsCert?: string
  tlsKey?: string
}

export interface StartedServer {
  url: string
  /** Stops accepting, lets in-flight requests (transfers included) finish, then closes the stack. */
  close(): Promise<void>
}

/** Listens on host:port (default 127.0.0.1:8080; port 0 picks a free one), over TLS when given a certificate and key. */
export async function startAssetServer(options: StartOptions): Promise<StartedServer> {
  const https = options.tlsCert && options.tlsKey ? { cert: await readFile(options.tlsCert), key: await readFile(options.tlsKey) } : undefined
  const app = await createAssetServer({ ...options, https })
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 })
  const address = app.server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  return {
    url: `${https ? 'https' : 'http'}://${host}:${address.port}`,
    close: () => {
      closing ??= (async () => {
        app.state.closing = true
        await app.close()
        await options.manager.close()
      })()
      return closing
    },
  }
}
