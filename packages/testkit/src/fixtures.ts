import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/** A key no other test run will use, so suites can share one backend. */
export function randomKey(prefix = 'suite'): string {
  return `${prefix}/${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`
}

export async function temporaryFolder(label = 'assets-suite'): Promise<string> {
  return mkdtemp(join(tmpdir(), `${label}-`))
}

/** A port nothing listens on right now, on 127.0.0.1, for a server a test starts itself. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/**
 * A program a test server needs (nginx, saslpasswd2 …): on PATH, else in the sbin folders where
 * Debian installs daemons and their tools, which a user's (and CI's) PATH often lacks. The bare
 * name when it is nowhere, so that spawning it fails with ENOENT naming it.
 */
export function programPath(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), '/usr/local/sbin', '/usr/sbin', '/sbin']
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path)) ?? name
}
