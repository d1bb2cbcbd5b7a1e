import { randomBytes } from 'node:crypto'
import postgres from 'postgres'

// A database of this run's own on the shared server (127.0.0.1:5432, trust auth), created
// before the tests and dropped after them. A missing server fails the run: nothing is skipped.
const admin = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), user: process.env.PGUSER ?? 'postgres', database: 'test' }

export default async function setup({ provide }: { provide: (key: 'pgDatabase', value: string) => void }) {
  const database = `assets_team_${randomBytes(4).toString('hex')}`
  const sql = postgres({ ...admin, max: 1, onnotice: () => {} })
  await sql.unsafe(`CREATE DATABASE ${database}`)
  await sql.end()
  provide('pgDatabase', database)
  return async () => {
    const drop = postgres({ ...admin, max: 1, onnotice: () => {} })
    await drop.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await drop.end()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgDatabase: string
  }
}
