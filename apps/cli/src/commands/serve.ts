import { once } from 'node:events'
import { stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { UnsupportedOperationError } from '@assets/core'
import { flagOption, integerOption, stringOption, UsageError } from '../args.js'
import type { CommandContext } from '../context.js'
import { openManager } from '../open-manager.js'

/**
 * `assets serve`: the asset server over the stack this config selects, until SIGTERM or Ctrl-C,
 * which let the requests in flight finish. It prints its URL (`{"url": …}` with --json) once it
 * listens, so that a script can wait for that line.
 */
export async function serve(ctx: CommandContext): Promise<number> {
  const tlsCert = stringOption(ctx.values, 'tls-cert')
  const tlsKey = stringOption(ctx.values, 'tls-key')
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UnsupportedOperationError('--tls-cert and --tls-key go together')
  const port = integerOption(ctx.values, 'port', 0, 65535) ?? 8080
  const jwksUrl = stringOption(ctx.values, 'jwks-url')
  const clientId = stringOption(ctx.values, 'oidc-client-id')
  if (clientId !== undefined && jwksUrl === undefined) throw new UsageError('--oidc-client-id needs the identity provider it signs in with: --jwks-url, --jwt-issuer and --jwt-audience')
  if (clientId === undefined && stringOption(ctx.values, 'oidc-scope') !== undefined) throw new UsageError('--oidc-scope goes with --oidc-client-id')
  const { manager, config } = await openManager({ ...ctx.globals, as: undefined }, { serving: true })
  if (manager.registry.server) {
    await manager.close()
    throw new UnsupportedOperationError('assets serve needs a stack of its own (storage and registry), not another asset server: unset ASSETS_URL')
  }
  const { startAssetServer } = await import('@assets/server')
  const stop = ctx.interrupt.signal()
  const server = await startAssetServer({
    manager,
    host: stringOption(ctx.values, 'host'),
    port,
    tlsCert,
    tlsKey,
    uploadDir: stringOption(ctx.values, 'upload-dir') ?? join(config.cacheDir, 'server-uploads'),
    logger: flagOption(ctx.values, 'log') ? { level: 'info' } : false,
    webRoot: await webCatalogueRoot(),
    jwt: jwksUrl === undefined ? undefined : { jwksUrl, issuer: stringOption(ctx.values, 'jwt-issuer') ?? '', audience: stringOption(ctx.values, 'jwt-audience') ?? '', ...(clientId === undefined ? {} : { signIn: { clientId, scope: stringOption(ctx.values, 'oidc-scope') } }) },
  }).catch(async (error: unknown) => {
    await manager.close()
    throw error
  })
  ctx.out.result({ url: server.url }, () => `serving ${server.url}`)
  if (!stop.aborted) await once(stop, 'abort')
  await server.close()
  return 0
}

/** The web catalogue's build when @assets/web is installed (and built): served at `/`. */
async function webCatalogueRoot(): Promise<string | undefined> {
  let root: string
  try {
    root = join(dirname(createRequire(import.meta.url).resolve('@assets/web/package.json')), 'dist')
  } catch {
    return undefined
  }
  return (await stat(join(root, 'index.html')).catch(() => undefined))?.isFile() ? root : undefined
}
