import {
  API_TOKEN_ID,
  type ApiToken,
  AUDIT_ACTIONS,
  checkDescription,
  InvalidInputError,
  isoTime,
  type MutationContext,
  type NewApiToken,
  nonEmpty,
  type TokenStore,
  validatePrincipal,
} from '@assets/core'
import { appendAudit } from './audit-log.js'
import type { SqlDialect } from './dialect.js'
import { SqlParams } from './sql-params.js'
import type { SqlConnector, SqlSession } from './sql-session.js'

interface TokenRow {
  id: string
  hash: string
  user_name: string
  groups_json: string
  roles_json: string
  description: string | null
  created_by: string
  created_at: string
  expires_at: string | null
  revoked_at: string | null
  revoked_by: string | null
}

/** Groups or roles one token may carry: far more than any real identity, few enough to bound a row. */
const MAX_NAMES = 100
const HASH = /^[0-9a-f]{64}$/
const COLUMNS = 'id, hash, user_name, groups_json, roles_json, description, created_by, created_at, expires_at, revoked_at, revoked_by'

/**
 * The asset server's API tokens in the `api_tokens` table, shared by every process on the
 * stack: a token created or revoked through one server is seen by the others at their next
 * look-up (nothing is cached here). Only the hash of a secret is stored. Creating and revoking
 * commit with their audit row, which names the token's id and user, never its hash.
 */
export class SqlTokenStore implements TokenStore {
  constructor(
    private readonly db: SqlConnector,
    private readonly d: SqlDialect,
  ) {}

  async createToken(input: NewApiToken, context: MutationContext): Promise<ApiToken> {
    const token = checkNewToken(input)
    const actor = nonEmpty(context?.actor, 'the actor of a mutation')
    const createdAt = new Date().toISOString()
    const { d } = this
    return this.db.write('createToken', undefined, async (s) => {
      if (await this.row(s, token.id)) throw new InvalidInputError(`an API token with id ${token.id} already exists`)
      const p = this.params()
      const values = [
        token.id,
        token.hash,
        token.user,
        JSON.stringify(token.groups),
        JSON.stringify(token.roles),
        token.description ?? null,
        actor,
        createdAt,
        token.expiresAt ?? null,
        null,
        null,
      ]
      await s.run(`INSERT INTO ${d.tables.apiTokens} (${COLUMNS}) VALUES (${p.list(values)})`, p.values)
      await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.tokenCreate, details: { id: token.id, user: token.user } })
      return rowToToken((await this.row(s, token.id)) as TokenRow)
    })
  }

  async findToken(id: string): Promise<(ApiToken & { hash: string }) | null> {
    // Whatever is not an id names no row: no statement for it.
    if (typeof id !== 'string' || !API_TOKEN_ID.test(id)) return null
    const row = await this.db.read('findToken', (s) => this.row(s, id))
    return row ? { ...rowToToken(row), hash: row.hash } : null
  }

  async listTokens(): Promise<ApiToken[]> {
    // Ties of one millisecond are broken by id, so that the order is the same on every database.
    const rows = await this.db.read('listTokens', (s) => s.all<TokenRow>(`SELECT ${COLUMNS} FROM ${this.d.tables.apiTokens} ORDER BY created_at DESC, id DESC`))
    return rows.map(rowToToken)
  }

  async revokeToken(id: string, context: MutationContext): Promise<boolean> {
    const exact = checkId(id)
    const actor = nonEmpty(context?.actor, 'the actor of a mutation')
    const { d } = this
    return this.db.write('revokeToken', undefined, async (s) => {
      const p = this.params()
      // The condition on revoked_at keeps the first revocation: of two racing, one changes the row.
      const changed = await s.run(
        `UPDATE ${d.tables.apiTokens} SET revoked_at = ${p.add(new Date().toISOString())}, revoked_by = ${p.add(actor)}
         WHERE id = ${p.add(exact)} AND revoked_at IS NULL`,
        p.values,
      )
      const row = await this.row(s, exact)
      if (!row) return false
      // Revoking twice changes nothing, so it is not a mutation to audit.
      if (changed > 0) await appendAudit(s, d, { actor, action: AUDIT_ACTIONS.tokenRevoke, details: { id: exact, user: row.user_name } })
      return true
    })
  }

  private params(): SqlParams {
    return new SqlParams((i) => this.d.placeholder(i))
  }

  private async row(s: SqlSession, id: string): Promise<TokenRow | undefined> {
    const [row] = await s.all<TokenRow>(`SELECT ${COLUMNS} FROM ${this.d.tables.apiTokens} WHERE id = ${this.d.placeholder(1)}`, [id])
    return row
  }
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || !API_TOKEN_ID.test(id)) {
    throw new InvalidInputError(`invalid API token id ${JSON.stringify(id)}: expected 16 lower-case hex digits`)
  }
  return id
}

/** Names as acl.ts reads principals, each once, in the order given. */
function names(value: unknown, kind: 'group' | 'role'): string[] {
  if (!Array.isArray(value)) throw new InvalidInputError(`the ${kind}s of an API token must be an array`)
  if (value.length > MAX_NAMES) throw new InvalidInputError(`an API token carries at most ${MAX_NAMES} ${kind}s`)
  for (const name of value) validatePrincipal(`${kind}:${typeof name === 'string' ? name : ''}`)
  return [...new Set(value as string[])]
}

function checkNewToken(input: NewApiToken): NewApiToken {
  if (typeof input !== 'object' || input === null) throw new InvalidInputError('an API token must be an object')
  const id = checkId(input.id)
  if (typeof input.hash !== 'string' || !HASH.test(input.hash)) throw new InvalidInputError('the hash of an API token must be 64 lower-case hex digits')
  if (typeof input.user !== 'string') throw new InvalidInputError('the user of an API token must be a string')
  validatePrincipal(`user:${input.user}`)
  const token: NewApiToken = { id, hash: input.hash, user: input.user, groups: names(input.groups, 'group'), roles: names(input.roles, 'role') }
  if (input.description !== undefined) {
    const description = checkDescription(input.description)
    // PostgreSQL text cannot hold NUL; no database should keep control characters a terminal would run.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to refuse
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(description)) throw new InvalidInputError('the description of an API token must not hold control characters')
    token.description = description
  }
  if (input.expiresAt !== undefined) token.expiresAt = isoTime(input.expiresAt, 'expiresAt')
  return token
}

function rowToToken(row: TokenRow): ApiToken {
  const token: ApiToken = {
    id: row.id,
    user: row.user_name,
    groups: JSON.parse(row.groups_json) as string[],
    roles: JSON.parse(row.roles_json) as string[],
    createdBy: row.created_by,
    createdAt: row.created_at,
  }
  if (row.description !== null) token.description = row.description
  if (row.expires_at !== null) token.expiresAt = row.expires_at
  if (row.revoked_at !== null) token.revokedAt = row.revoked_at
  if (row.revoked_by !== null) token.revokedBy = row.revoked_by
  return token
}
