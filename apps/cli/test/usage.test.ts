import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_ROOT, Sandbox } from './fixtures/cli.js'

const VERBS = [
  'put',
  'get',
  'cat',
  'info',
  'versions',
  'find',
  'ls',
  'tag',
  'annotate',
  'annotations',
  'acl show',
  'acl grant',
  'acl revoke',
  'lineage',
  'rm',
  'verify',
  'gc',
  'cache ls',
  'cache prune',
  'cache clear',
  'cache verify',
  'config show',
  'config check',
  'plugins',
  'audit',
  'check-compat',
  'validate',
]

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await Sandbox.create('usage')
})
afterAll(() => sandbox.cleanup())

describe('help', () => {
  it('assets --help lists every command on stdout and exits 0', async () => {
    const r = await sandbox.run(['--help'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^Usage: assets <command>/)
    for (const verb of VERBS) expect(r.stdout).toContain(`  ${verb.split(' ')[0]}`)
  })

  it('every command has --help with its own usage line, and touches no catalogue', async () => {
    for (const verb of VERBS) {
      const r = await sandbox.run([...verb.split(' '), '--help'])
      expect(r.code, verb).toBe(0)
      expect(r.stdout, verb).toMatch(new RegExp(`^Usage: assets ${verb}`))
      expect(r.stdout, verb).toContain('--json')
    }
    // Help never opens the registry, so ASSETS_HOME is still not created.
    expect(() => readFileSync(join(sandbox.home, 'registry.db'))).toThrow()
  })

  it('help <command> and group help work too', async () => {
    expect((await sandbox.run(['help', 'acl', 'grant'])).stdout).toMatch(/^Usage: assets acl grant <key> <read\|write\|admin> <principal>/)
    const group = await sandbox.run(['cache', '--help'])
    expect(group.code).toBe(0)
    expect(group.stdout).toMatch(/^Usage: assets cache <ls\|prune\|clear\|verify>/)
  })

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(CLI_ROOT, 'package.json'), 'utf8')) as { version: string }
    const r = await sandbox.run(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(pkg.version)
  })
})

describe('usage errors exit 2 with the usage on stderr', () => {
  const cases: Array<[string, string[], RegExp, RegExp]> = [
    ['no command', [], /a command is required/, /Usage: assets <command>/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/, /Usage: assets <command>/],
    ['an unknown sub-command', ['acl', 'frob'], /unknown command "acl frob"/, /Usage: assets acl </],
    ['a group without a sub-command', ['cache'], /needs a sub-command/, /Usage: assets cache </],
    ['an unknown flag', ['get', 'a', '--bogus'], /Unknown option '--bogus'/, /Usage: assets get /],
    ['a missing argument', ['put', 'datasets/a'], /missing argument/, /Usage: assets put <key> <path>/],
    ['an extra argument', ['info', 'a', 'b'], /unexpected argument "b"/, /Usage: assets info /],
    ['a flag without its value', ['get', 'a', '--out'], /argument missing/, /Usage: assets get /],
    ['an unknown kind', ['put', 'a', 'f', '--kind', 'movie'], /--kind must be one of/, /Usage: assets put /],
    ['a malformed --meta', ['put', 'a', 'f', '--meta', 'novalue'], /expected key=value/, /Usage: assets put /],
    ['a malformed --relate', ['put', 'a', 'f', '--relate', 'datasets/x'], /expected <relation>=<key>@<version>/, /Usage: assets put /],
    ['a malformed --expires', ['put', 'a', 'f', '--expires', 'soon'], /--expires "soon"/, /Usage: assets put /],
    ['a malformed --where', ['find', '--where', 'n >> 3'], /--where "n >> 3"/, /Usage: assets find/],
    ['exists with a value', ['find', '--where', 'n exists 3'], /takes no value/, /Usage: assets find/],
    ['a bad --limit', ['find', '--limit', 'ten'], /--limit must be a whole number from 1 to 1000/, /Usage: assets find/],
    ['a bad --sort', ['find', '--sort', 'key:sideways'], /--sort "key:sideways"/, /Usage: assets find/],
    ['a bad --range', ['cat', 'a', '--range', '5-2'], /comes before the first/, /Usage: assets cat /],
    ['rm without a version', ['rm', 'datasets/a'], /exact version/, /Usage: assets rm /],
    ['--up with --down', ['lineage', 'a', '--up', '--down'], /--up or --down/, /Usage: assets lineage /],
    ['a bad --depth', ['lineage', 'a', '--depth', '0'], /--depth must be a whole number from 1 to 100/, /Usage: assets lineage /],
    ['an unknown permission', ['acl', 'grant', 'a', 'own', 'bob'], /expected read, write or admin/, /Usage: assets acl grant /],
    ['tag --rm with a version', ['tag', '--rm', 'a', 'gold', '1.0.0'], /tag --rm takes <key> <tag>/, /Usage: assets tag /],
    ['a web sign-in client without its provider', ['serve', '--port', '0', '--oidc-client-id', 'assets-web'], /--oidc-client-id needs the identity provider/, /Usage: assets serve /],
    ['sign-in scopes without the client', ['serve', '--port', '0', '--oidc-scope', 'openid groups'], /--oidc-scope goes with --oidc-client-id/, /Usage: assets serve /],
  ]
  for (const [what, args, message, usage] of cases) {
    it(what, async () => {
      const r = await sandbox.run(args)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/^error USAGE: /)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).toMatch(usage)
    })
  }

  it('with --json the usage error is one JSON object on stderr and stdout stays empty', async () => {
    const r = await sandbox.run(['find', '--where', 'n >> 3', '--json'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const doc = JSON.parse(r.stderr) as { error: { code: string; message: string; usage: string } }
    expect(doc.error.code).toBe('USAGE')
    expect(doc.error.message).toMatch(/--where/)
    expect(doc.error.usage).toMatch(/^Usage: assets find/)
  })

  it('global options are accepted before the command too', async () => {
    const r = await sandbox.run(['--as', 'alice', '--json', 'config', 'show'])
    expect(r.code).toBe(0)
    expect((JSON.parse(r.stdout) as { actor: { user: string } }).actor.user).toBe('alice')
  })
})
