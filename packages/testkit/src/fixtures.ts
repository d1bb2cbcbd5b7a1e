import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A key no other test run will use, so suites can share one backend. */
export function randomKey(prefix = 'suite'): string {
  return `${prefix}/${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`
}

export async function temporaryFolder(label = 'assets-suite'): Promise<string> {
  return mkdtemp(join(tmpdir(), `${label}-`))
}
