export { type AssetServerOptions, createAssetServer } from './app.js'
export { startAssetServer, type StartOptions, type StartedServer } from './start.js'
export type { JwtOptions } from './identity-provider.js'
export type { WebSignInOptions } from './oidc-sign-in.js'
