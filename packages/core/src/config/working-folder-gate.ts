import { existsSync } from 'node:fs'
import { basename } from 'node:path'
import { type FolderTrustState, folderTrust } from './folder-trust.js'

type Env = Record<string, string | undefined>

/**
 * Decides whether a file found (not named) in the working folder may be read: only when the
 * user trusts the folder, as git's safe.directory and direnv's `allow` do, because a cloned
 * repository's config.yaml can name a plugin to import and its .env an endpoint to send the
 * user's own tokens to. A folder the program names is its choice and always allowed. What is
 * left out is remembered, for one warning that says how to allow it.
 */
export class WorkingFolderGate {
  readonly ignored: string[] = []
  readonly #folder: string
  readonly #named: boolean
  readonly #env: Env
  #state: FolderTrustState | undefined

  constructor(folder: string, options: { named: boolean; env: Env }) {
    this.#folder = folder
    this.#named = options.named
    this.#env = options.env
  }

  /** True when `path` (a file in the folder) may be read; a file that is not there is no risk. */
  allows(path: string): boolean {
    if (this.#named || !existsSync(path)) return true
    this.#state ??= folderTrust(this.#folder, { env: this.#env })
    if (this.#state === 'trusted') return true
    this.ignored.push(path)
    return false
  }

  /** The one warning for what was left out; undefined when nothing was. */
  warning(): string | undefined {
    if (this.ignored.length === 0) return undefined
    const files = this.ignored.map((p) => basename(p)).join(' and ')
    const why = this.#state === 'changed' ? 'its config.yaml or .env changed since you trusted it' : 'the folder is not trusted'
    return `ignoring ${files} in ${this.#folder}: ${why}. If you trust what is there, run: assets trust ${shellWord(this.#folder)}`
  }
}

// The folder is pasted into a shell by the reader; quote it when it needs quoting.
function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`
}
