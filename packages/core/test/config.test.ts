import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  AssetConfig,
  type ConfigField,
  normalizePluginType,
  parseDotenv,
  redactSecrets,
  redactUrl,
} from '../src/config/index.js'
import type { PluginKind } from '../src/contracts/index.js'
import { ConfigInvalidError } from '../src/errors/index.js'
import { actorFor } from '../src/create-asset-manager.js'

type Env = Record<string, string | undefined>

let cwd: string
const HOME = '/home/tester'

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'assets-config-'))
})
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true })
})

function write(name: string, text: string): string {
  const path = join(cwd, name)
  writeFileSync(path, text)
  return path
}

function load(env: Env = {}, configPath?: string): AssetConfig {
  return AssetConfig.load({ env: { HOME, ...env }, cwd, configPath })
}

/** The ConfigInvalidError `action` throws; fails the test when it does not throw one. */
function configError(action: () => unknown): ConfigInvalidError {
  try {
    action()
  } catch (error) {
    if (ConfigInvalidError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected a ConfigInvalidError, but the config loaded')
}

function fields(error: ConfigInvalidError): string[] {
  return error.problems.map((p) => p.field).sort()
}

describe('embedded default', () => {
  it('with nothing set, runs local storage, a local cache and SQLite under the XDG folders', () => {
    const config = load()
    expect(config.values).toEqual({
      dataDir: `${HOME}/.local/share/assets`,
      cacheDir: `${HOME}/.cache/assets`,
      storage: { type: 'local', path: `${HOME}/.local/share/assets/storage` },
      cache: { type: 'local', enabled: true, ttl: 300, path: `${HOME}/.cache/assets` },
      registry: { type: 'sqlite', path: `${HOME}/.local/share/assets/registry.db` },
      identity: { groups: [], roles: [] },
      users: {},
      allowInsecureStorage: false,
      pluginPaths: [],
    })
    expect(Object.values(config.sources).every((s) => s === 'default')).toBe(true)
    expect(config.configFile).toBeUndefined()
    expect(config.dotenvFile).toBeUndefined()
  })

  it('follows XDG_DATA_HOME and XDG_CACHE_HOME, ignoring relative values as the XDG spec says', () => {
    const config = load({ XDG_DATA_HOME: '/xdg/data', XDG_CACHE_HOME: 'relative/cache' })
    expect(config.dataDir).toBe('/xdg/data/assets')
    expect(config.cacheDir).toBe(`${HOME}/.cache/assets`)
    expect(config.registry.path).toBe('/xdg/data/assets/registry.db')
  })

  it('ASSETS_HOME puts data and cache under one folder and beats XDG and the file', () => {
    write('config.yaml', 'home: /from/yaml\n')
    const config = load({ ASSETS_HOME: '/srv/assets', XDG_DATA_HOME: '/xdg/data' })
    expect(config.dataDir).toBe('/srv/assets')
    expect(config.cacheDir).toBe('/srv/assets/cache')
    expect(config.storage).toEqual({ type: 'local', path: '/srv/assets/storage' })
    expect(config.cache.path).toBe('/srv/assets/cache')
    expect(config.sources.dataDir).toBe('env')
  })

  it('`home` in the file works like ASSETS_HOME and is relative to the file', () => {
    mkdirSync(join(cwd, 'conf'))
    const path = write('conf/assets.yaml', 'home: ../state\n')
    const config = load({ CONFIG_PATH: path })
    expect(config.dataDir).toBe(join(cwd, 'state'))
    expect(config.cacheDir).toBe(join(cwd, 'state', 'cache'))
    expect(config.sources.dataDir).toBe('file')
  })

  it('does no I/O beyond reading its files: no folder is created', () => {
    const config = load({ ASSETS_HOME: join(cwd, 'not-created') })
    expect(config.dataDir).toBe(join(cwd, 'not-created'))
    expect(existsSync(join(cwd, 'not-created'))).toBe(false)
  })
})

describe('seed environment variables', () => {
  const cases: Array<{ name: string; env: Env; section: PluginKind; expected: Record<string, unknown> }> = [
    {
      name: 'S3',
      section: 'storage',
      env: {
        STORAGE_TYPE: 's3',
        S3_BUCKET: 'bench',
        S3_PREFIX: 'team/a',
        S3_REGION: 'eu-west-1',
        S3_ENDPOINT_URL: 'http://127.0.0.1:9000',
        S3_USE_SSL: 'off',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 's3-secret-value',
      },
      expected: {
        type: 's3',
        bucket: 'bench',
        prefix: 'team/a',
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9000',
        useSsl: false,
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: 's3-secret-value',
      },
    },
    {
      name: 'HTTP',
      section: 'storage',
      env: {
        STORAGE_TYPE: 'HttpStorage',
        HTTP_STORAGE_BASE_URL: 'https://mirror.example.org/assets',
        HTTP_STORAGE_AUTH_TYPE: 'apikey',
        HTTP_STORAGE_AUTH_TOKEN: 'http-token-value',
        HTTP_STORAGE_USERNAME: 'reader',
        HTTP_STORAGE_PASSWORD: 'http-password-value',
        HTTP_STORAGE_VERIFY_SSL: 'Yes',
        HTTP_STORAGE_HEADERS: '{"X-Team":"bench","Authorization":"Bearer header-secret"}',
      },
      expected: {
        type: 'http',
        baseUrl: 'https://mirror.example.org/assets',
        authType: 'APIKey',
        authToken: 'http-token-value',
        username: 'reader',
        password: 'http-password-value',
        verifySsl: true,
        headers: { 'X-Team': 'bench', Authorization: 'Bearer header-secret' },
      },
    },
    {
      name: 'Hugging Face',
      section: 'storage',
      env: { STORAGE_TYPE: 'hf', HF_TOKEN: 'hf_secret' },
      expected: { type: 'huggingface', token: 'hf_secret' },
    },
    {
      name: 'Redis cache',
      section: 'cache',
      env: { CACHE_TYPE: 'RedisCache', CACHE_ENABLED: '0', CACHE_TTL: '42.5', REDIS_URL: 'redis://:pw@cache:6379/0' },
      expected: { type: 'redis', enabled: false, ttl: 42.5, url: 'redis://:pw@cache:6379/0' },
    },
    {
      name: 'Memcached cache',
      section: 'cache',
      env: { CACHE_TYPE: 'Memcached', MEMCACHED_SERVERS: 'mc1:11211,mc2', MEMCACHED_USERNAME: 'bench', MEMCACHED_PASSWORD: 'memcached-password-value' },
      expected: { type: 'memcached', enabled: true, ttl: 300, servers: 'mc1:11211,mc2', username: 'bench', password: 'memcached-password-value' },
    },
    {
      name: 'S3 cache',
      section: 'cache',
      env: {
        CACHE_TYPE: 'S3Cache',
        S3_BUCKET: 'store-bucket',
        CACHE_S3_BUCKET: 'cache-bucket',
        CACHE_S3_PREFIX: 'team-cache/',
        S3_ENDPOINT_URL: 'https://s3.internal:9000',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 's3-secret-value',
      },
      expected: {
        type: 's3',
        enabled: true,
        ttl: 300,
        bucket: 'cache-bucket',
        prefix: 'team-cache/',
        endpoint: 'https://s3.internal:9000',
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: 's3-secret-value',
      },
    },
    {
      name: 'PostgreSQL',
      section: 'registry',
      env: {
        DB_TYPE: 'postgresql',
        DB_HOST: 'db.internal',
        DB_PORT: '6543',
        DB_NAME: 'assets',
        DB_USER: 'bench',
        DB_PASSWORD: 'pg-password-value',
        DB_SSL_MODE: 'require',
      },
      expected: {
        type: 'postgres',
        host: 'db.internal',
        port: 6543,
        database: 'assets',
        user: 'bench',
        password: 'pg-password-value',
        sslMode: 'require',
      },
    },
    {
      name: 'MySQL',
      section: 'registry',
      env: {
        DB_TYPE: 'MySQL',
        DB_HOST: 'mysql.internal',
        DB_PORT: '3307',
        DB_NAME: 'assets',
        DB_USER: 'bench',
        DB_PASSWORD: 'mysql-password-value',
        DB_SSL_MODE: 'verify-full',
      },
      expected: { type: 'mysql', host: 'mysql.internal', port: 3307, database: 'assets', user: 'bench', password: 'mysql-password-value', sslMode: 'verify-full' },
    },
    {
      name: 'MariaDB',
      section: 'registry',
      env: { DB_TYPE: 'mariadb', DB_HOST: 'maria.internal', DB_NAME: 'assets' },
      expected: { type: 'mysql', host: 'maria.internal', database: 'assets' },
    },
    {
      name: 'SQLite',
      section: 'registry',
      env: { DB_TYPE: 'sqlite3', DB_PATH: '/var/lib/assets/registry.db' },
      expected: { type: 'sqlite', path: '/var/lib/assets/registry.db' },
    },
  ]

  it.each(cases)('maps the $name variables onto the $section section', ({ env, section, expected }) => {
    const config = load(env)
    expect(config[section]).toEqual(expected)
    expect(config.sources[section]).toBe('env')
  })

  it('maps CACHE_ENABLED and CACHE_TTL whatever the cache type', () => {
    const config = load({ CACHE_ENABLED: 'FALSE', CACHE_TTL: '0' })
    expect(config.cache).toEqual({ type: 'local', enabled: false, ttl: 0, path: `${HOME}/.cache/assets` })
  })

  it('maps ALLOW_INSECURE_STORAGE and ASSETS_USER; another user does not take the file identity’s groups and roles', () => {
    write('config.yaml', 'identity: { user: alice, groups: [lab], roles: [admin] }\n')
    const config = load({ ALLOW_INSECURE_STORAGE: 'true', ASSETS_USER: 'bob' })
    expect(config.allowInsecureStorage).toBe(true)
    expect(config.identity).toEqual({ user: 'bob', groups: [], roles: [] })
    expect(config.sources.identity).toBe('env')
    expect(load({ ASSETS_USER: 'alice' }).identity).toEqual({ user: 'alice', groups: ['lab'], roles: ['admin'] })
  })

  it('ASSETS_USER and --as name the same actor: the same groups and roles, admin only for the OS user by default', () => {
    const os = userInfo().username
    const asActor = (env: Env, user?: string) => actorFor(load(env), user)
    // The embedded default with nothing configured: the OS user administers their own catalogue.
    expect(asActor({ ASSETS_USER: 'eve' })).toEqual(asActor({}, 'eve'))
    expect(asActor({}, 'eve')).toEqual({ user: 'eve', groups: [], roles: [] })
    expect(asActor({ ASSETS_USER: os })).toEqual({ user: os, groups: [], roles: ['admin'] })
    expect(asActor({}, os)).toEqual(asActor({ ASSETS_USER: os }))
    expect(asActor({})).toEqual(asActor({ ASSETS_USER: os }))
    write('config.yaml', 'identity: { user: ops, roles: [admin] }\nusers:\n  alice: { groups: [lab] }\n')
    for (const user of ['ops', 'alice', 'eve']) expect(asActor({ ASSETS_USER: user })).toEqual(asActor({}, user))
    expect(asActor({}, 'ops').roles).toEqual(['admin'])
    expect(asActor({}, 'eve').roles).toEqual([])
  })

  it('reads backend options only for the matching type, so stray credentials break nothing', () => {
    const config = load({
      AWS_ACCESS_KEY_ID: 'AKIASTRAY',
      AWS_SECRET_ACCESS_KEY: 'stray',
      S3_BUCKET: 'stray',
      HTTP_STORAGE_HEADERS: 'not json at all',
      REDIS_URL: 'redis://elsewhere',
      DB_HOST: 'elsewhere',
      DB_PORT: 'not-a-port',
    })
    expect(config.storage).toEqual({ type: 'local', path: `${HOME}/.local/share/assets/storage` })
    expect(config.cache).not.toHaveProperty('url')
    expect(config.registry).toEqual({ type: 'sqlite', path: `${HOME}/.local/share/assets/registry.db` })
  })

  it('ASSETS_URL alone selects the asset server for storage and registry, keeping the local cache; a chosen type wins', () => {
    const config = load({ ASSETS_URL: 'https://assets.example.org', ASSETS_TOKEN: 'assets_0123456789abcdef_secret' })
    expect(config.storage).toEqual({ type: 'remote', url: 'https://assets.example.org', token: 'assets_0123456789abcdef_secret' })
    expect(config.registry).toEqual({ type: 'remote', url: 'https://assets.example.org', token: 'assets_0123456789abcdef_secret' })
    expect(config.cache.type).toBe('local')
    expect(inspect(config.toJSON(), { depth: 5 })).not.toContain('secret')
    const mixed = load({ ASSETS_URL: 'https://assets.example.org', STORAGE_TYPE: 's3', S3_BUCKET: 'b' })
    expect(mixed.storage.type).toBe('s3')
    expect(mixed.registry.type).toBe('remote')
  })

  it('treats an empty variable as unset', () => {
    const config = load({ STORAGE_TYPE: '', CACHE_TTL: '', DB_TYPE: 'postgres', DB_PASSWORD: '' })
    expect(config.storage.type).toBe('local')
    expect(config.cache.ttl).toBe(300)
    expect(config.registry).toEqual({ type: 'postgres' })
  })
})

describe('plugin type names', () => {
  const aliases: Array<[PluginKind, string, string]> = [
    ['storage', 'LocalStorage', 'local'],
    ['storage', 'file', 'local'],
    ['storage', 'FileSystem', 'local'],
    ['storage', 'S3Storage', 's3'],
    ['storage', 'MinIO', 's3'],
    ['storage', 'HTTPS', 'http'],
    ['storage', 'http_storage', 'http'],
    ['storage', 'HuggingFace', 'huggingface'],
    ['storage', 'hf-storage', 'huggingface'],
    ['storage', 'huggingface_hub', 'huggingface'],
    ['cache', 'Disk', 'local'],
    ['cache', 'local-cache', 'local'],
    ['cache', 'filesystem', 'local'],
    ['cache', 'REDIS', 'redis'],
    ['cache', 'redis_cache', 'redis'],
    ['cache', 'Memcached', 'memcached'],
    ['cache', 'memcache', 'memcached'],
    ['cache', 'S3Cache', 's3'],
    ['cache', 's3', 's3'],
    ['registry', 'SQLite3', 'sqlite'],
    ['registry', 'PostgreSQL', 'postgres'],
    ['registry', 'pg', 'postgres'],
    ['registry', 'MySQL', 'mysql'],
    ['registry', 'MariaDB', 'mysql'],
    ['registry', 'mariadb', 'mysql'],
    ['storage', '@acme/assets-storage-gcs', '@acme/assets-storage-gcs'],
    ['cache', 'redis-cluster-cache', 'redis-cluster-cache'],
    ['registry', 'disk', 'disk'],
  ]

  it.each(aliases)('%s type %s is %s', (kind, given, expected) => {
    expect(normalizePluginType(kind, given)).toBe(expected)
  })

  it('normalises types written in the file as well as in the environment', () => {
    write('config.yaml', 'storage: { type: S3Storage, bucket: b }\nregistry: { type: PostgreSQL, host: h }\n')
    const config = load({ CACHE_TYPE: 'RedisCache' })
    expect(config.storage).toEqual({ type: 's3', bucket: 'b' })
    expect(config.registry).toEqual({ type: 'postgres', host: 'h' })
    expect(config.cache.type).toBe('redis')
  })

  it('keeps an unknown type verbatim as a package name, with no default path', () => {
    const config = load({ STORAGE_TYPE: '@acme/assets-storage-gcs' })
    expect(config.storage).toEqual({ type: '@acme/assets-storage-gcs' })
  })
})

describe('precedence: environment > .env > config file > defaults', () => {
  beforeEach(() => {
    write(
      'config.yaml',
      [
        'storage:',
        '  type: s3',
        '  bucket: from-yaml',
        '  region: yaml-region',
        '  prefix: yaml-prefix',
        'cache:',
        '  ttl: 60',
        'allowInsecureStorage: true',
      ].join('\n'),
    )
    write('.env', 'S3_BUCKET=from-dotenv\nS3_REGION=dotenv-region\nCACHE_TTL=120\n')
  })

  it('takes each field from the highest source that sets it', () => {
    const config = load({ S3_BUCKET: 'from-env' })
    expect(config.storage).toEqual({ type: 's3', bucket: 'from-env', region: 'dotenv-region', prefix: 'yaml-prefix' })
    expect(config.cache.ttl).toBe(120)
    expect(config.allowInsecureStorage).toBe(true)
    expect(config.registry.type).toBe('sqlite')
    const sources: Partial<Record<ConfigField, string>> = {
      storage: 'env',
      cache: 'dotenv',
      allowInsecureStorage: 'file',
      registry: 'default',
    }
    for (const [field, source] of Object.entries(sources)) expect(config.sources[field as ConfigField]).toBe(source)
    expect(config.configFile).toBe(join(cwd, 'config.yaml'))
    expect(config.dotenvFile).toBe(join(cwd, '.env'))
  })

  it('.env never overrides a variable already set in the environment, even an empty one', () => {
    const config = load({ S3_REGION: '' })
    expect(config.storage.region).toBe('yaml-region')
    expect(config.storage.bucket).toBe('from-dotenv')
  })

  it('the file beats the defaults', () => {
    rmSync(join(cwd, '.env'))
    const config = load()
    expect(config.storage).toEqual({ type: 's3', bucket: 'from-yaml', region: 'yaml-region', prefix: 'yaml-prefix' })
    expect(config.cache).toEqual({ type: 'local', enabled: true, ttl: 60, path: `${HOME}/.cache/assets` })
  })

  it('switching type in the environment drops the file options of that section but keeps cache generics', () => {
    rmSync(join(cwd, '.env'))
    write('config.yaml', 'storage: { type: s3, bucket: b, region: r }\ncache: { type: redis, url: "redis://x", ttl: 30 }\n')
    const config = load({ STORAGE_TYPE: 'http', HTTP_STORAGE_BASE_URL: 'https://m.example.org', CACHE_TYPE: 'disk' })
    expect(config.storage).toEqual({ type: 'http', baseUrl: 'https://m.example.org' })
    expect(config.cache).toEqual({ type: 'local', enabled: true, ttl: 30, path: `${HOME}/.cache/assets` })
  })

  it('a file section that names no type is for the default type: selecting another drops its options', () => {
    rmSync(join(cwd, '.env'))
    write('config.yaml', 'registry: { path: ./team.db }\n')
    expect(load({ DB_TYPE: 'PostgreSQL', DB_HOST: 'db' }).registry).toEqual({ type: 'postgres', host: 'db' })
    expect(load({}).registry).toEqual({ type: 'sqlite', path: './team.db' })
  })

  it('naming the same type in the environment keeps the file options', () => {
    const config = load({ STORAGE_TYPE: 'S3Storage' })
    expect(config.storage.prefix).toBe('yaml-prefix')
  })

  it('CONFIG_PATH may come from .env, and DOTENV_PATH picks another .env', () => {
    const other = write('other.yaml', 'registry: { type: postgres, host: from-other }\n')
    write('custom.env', `CONFIG_PATH=${other}\nDB_NAME=from-custom\n`)
    const config = load({ DOTENV_PATH: 'custom.env' })
    expect(config.registry).toEqual({ type: 'postgres', host: 'from-other', database: 'from-custom' })
    expect(config.storage.type).toBe('local')
  })

  it('pluginPaths in the file are relative to it; ASSETS_PLUGIN_PATH, a list like NODE_PATH, replaces them', () => {
    mkdirSync(join(cwd, 'conf'))
    write('conf/assets.yaml', 'pluginPaths: [plugins, /opt/assets-plugins]\n')
    const fromFile = load({ CONFIG_PATH: 'conf/assets.yaml' })
    expect(fromFile.pluginPaths).toEqual([join(cwd, 'conf', 'plugins'), '/opt/assets-plugins'])
    expect(fromFile.sources.pluginPaths).toBe('file')
    const fromEnv = load({ CONFIG_PATH: 'conf/assets.yaml', ASSETS_PLUGIN_PATH: `/srv/p1::rel` })
    expect(fromEnv.pluginPaths).toEqual(['/srv/p1', join(cwd, 'rel')])
    expect(fromEnv.sources.pluginPaths).toBe('env')
    expect(Object.isFrozen(fromEnv.pluginPaths)).toBe(true)
    expect(configError(() => load({}, write('bad.yaml', 'pluginPaths: plugins\n'))).problems).toEqual([
      { field: 'pluginPaths', message: expect.stringMatching(/^expected array/) },
    ])
  })

  it('the configPath option beats CONFIG_PATH', () => {
    const other = write('other.yaml', 'cache: { ttl: 7 }\n')
    const config = load({ CONFIG_PATH: join(cwd, 'config.yaml') }, other)
    expect(config.cache.ttl).toBe(120)
    rmSync(join(cwd, '.env'))
    expect(load({ CONFIG_PATH: join(cwd, 'config.yaml') }, other).cache.ttl).toBe(7)
  })
})

describe('problems', () => {
  it('reports every bad field at once', () => {
    write(
      'config.yaml',
      [
        'allowInsecureStorage: "maybe"',
        'colour: blue',
        'cache: { enabled: 3, ttl: -1 }',
        'identity: { groups: lab }',
        'users: { alice: { roles: [admin], teams: [x] } }',
        'storage: []',
      ].join('\n'),
    )
    const error = configError(() =>
      load({
        STORAGE_TYPE: 'http',
        HTTP_STORAGE_VERIFY_SSL: 'perhaps',
        HTTP_STORAGE_AUTH_TYPE: 'oauth',
        HTTP_STORAGE_HEADERS: '{"Authorization": Bearer header-secret}',
        DB_TYPE: 'postgres',
        DB_PORT: 'eighty',
        CACHE_ENABLED: 'sometimes',
        CACHE_TTL: '-5',
        ALLOW_INSECURE_STORAGE: 'sure',
      }),
    )
    expect(fields(error)).toEqual(
      [
        'allowInsecureStorage',
        'colour',
        'cache.enabled',
        'cache.ttl',
        'identity.groups',
        'users.alice.teams',
        'storage',
        'HTTP_STORAGE_VERIFY_SSL',
        'HTTP_STORAGE_AUTH_TYPE',
        'HTTP_STORAGE_HEADERS',
        'DB_PORT',
        'CACHE_ENABLED',
        'CACHE_TTL',
        'ALLOW_INSECURE_STORAGE',
      ].sort(),
    )
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toContain('DB_PORT: expected a port number (1-65535), got "eighty"')
    expect(error.message).toContain('colour: unknown field; expected one of home, dataDir')
    expect(error.message).not.toContain('header-secret')
  })

  it('rejects a port out of range and a user name the access rules would refuse', () => {
    write('config.yaml', 'users: { "bad name": { groups: [ok] } }\n')
    const error = configError(() => load({ DB_TYPE: 'pg', DB_PORT: '70000', ASSETS_USER: 'x/y' }))
    expect(fields(error)).toEqual(['ASSETS_USER', 'DB_PORT', 'users.bad name'])
  })

  it('names the file, line and column of malformed YAML without quoting its text', () => {
    const path = write('config.yaml', 'storage:\n  type: s3\n  secretAccessKey: yaml-secret: oops\n')
    const error = configError(() => load())
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]?.field).toBe(path)
    expect(error.message).toMatch(/malformed YAML at line 3, column \d+/)
    expect(error.message).not.toContain('yaml-secret')
  })

  it('refuses a top level that is not a mapping', () => {
    write('config.yaml', '- storage\n- cache\n')
    const error = configError(() => load())
    expect(error.problems[0]?.message).toContain('expected a mapping')
  })

  it('refuses YAML alias bombs and any tag beyond the core types, rather than reading it as a string', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)
    write('config.yaml', `${bomb.join('\n')}\n`)
    expect(configError(() => load()).message).toMatch(/malformed YAML: .*alias/i)
    write('config.yaml', 'home: !!js/function "function () { return 1 }"\n')
    expect(configError(() => load()).message).toMatch(/malformed YAML at line 1, column 7: .*js\/function/)
    write('config.yaml', 'home: !!binary aGVsbG8=\n')
    expect(configError(() => load()).message).toMatch(/malformed YAML.*binary/)
  })

  it('refuses a config file over 1 MiB', () => {
    write('config.yaml', `# ${'x'.repeat(1024 * 1024)}\n`)
    expect(configError(() => load()).message).toContain('at most 1 MiB')
  })

  it('ASSETS_HOME, dataDir or cacheDir naming a file (or a path under one) is CONFIG_INVALID', () => {
    const file = write('not-a-folder', 'x')
    const home = configError(() => load({ ASSETS_HOME: file }))
    expect(home.problems).toEqual([{ field: 'ASSETS_HOME', message: `${file} cannot be a folder: it is a file` }])
    expect(configError(() => load({ ASSETS_HOME: join(file, 'below') })).problems).toEqual([
      { field: 'ASSETS_HOME', message: `${join(file, 'below')} cannot be a folder: ${file} is a file` },
    ])
    write('config.yaml', `cacheDir: ${join(file, 'cache')}\n`)
    expect(fields(configError(() => load()))).toEqual(['cacheDir'])
  })

  it('a CONFIG_PATH that does not exist is a problem, a missing config.yaml is not', () => {
    const error = configError(() => load({ CONFIG_PATH: 'nowhere.yaml' }))
    expect(error.problems).toEqual([{ field: 'CONFIG_PATH', message: `file ${join(cwd, 'nowhere.yaml')} does not exist` }])
    expect(fields(configError(() => load({}, 'gone.yaml')))).toEqual(['configPath'])
    expect(fields(configError(() => load({ DOTENV_PATH: 'gone.env' })))).toEqual(['DOTENV_PATH'])
    expect(load().storage.type).toBe('local')
  })

  it('never echoes a secret in a problem', () => {
    write('config.yaml', 'identity: { user: alice, password: yaml-password-value }\n')
    write('.env', 'DB_PASSWORD dotenv-password-value\nAPI_TOKEN="unterminated-secret\n')
    const error = configError(() => load({ DB_TYPE: 'postgres', DB_PORT: 'x', DB_PASSWORD: 'env-password-value' }))
    expect(fields(error)).toEqual(['DB_PORT', 'identity.password', join(cwd, '.env'), join(cwd, '.env')].sort())
    const text = JSON.stringify(error.toJSON())
    for (const secret of ['yaml-password-value', 'dotenv-password-value', 'unterminated-secret', 'env-password-value']) {
      expect(text).not.toContain(secret)
    }
    expect(error.message).toContain('line 1: expected KEY=VALUE')
  })
})

describe('printing never shows secrets', () => {
  const secrets = {
    STORAGE_TYPE: 's3',
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEKEY',
    AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
    CACHE_TYPE: 'redis',
    REDIS_URL: 'redis://:redis-password@cache:6379/0',
    DB_TYPE: 'postgres',
    DB_PASSWORD: 'pg-password-value',
    DB_HOST: 'postgres://bench:url-password@db/assets',
  }

  it('toJSON, redacted() and util.inspect hide every secret; the values keep them', () => {
    const config = load(secrets)
    const printed = [JSON.stringify(config), JSON.stringify(config.redacted()), inspect(config, { depth: 10 })]
    for (const text of printed) {
      for (const secret of ['AKIAEXAMPLEKEY', 'aws-secret-value', 'redis-password', 'pg-password-value', 'url-password']) {
        expect(text).not.toContain(secret)
      }
    }
    const redacted = config.redacted()
    expect(redacted.storage).toEqual({ type: 's3', accessKeyId: '***', secretAccessKey: '***' })
    expect(redacted.cache.url).toBe('redis://:***@cache:6379/0')
    expect(redacted.registry.password).toBe('***')
    expect(redacted.registry.host).toBe('postgres://bench:***@db/assets')
    expect(config.storage.secretAccessKey).toBe('aws-secret-value')
    expect(config.cache.url).toBe('redis://:redis-password@cache:6379/0')
  })

  it('redacts the Memcached SASL password, and keeps the servers and user name readable', () => {
    const config = load({ CACHE_TYPE: 'Memcached', MEMCACHED_SERVERS: 'mc1:11211', MEMCACHED_USERNAME: 'bench', MEMCACHED_PASSWORD: 'mc-password-value' })
    expect(config.redacted().cache).toMatchObject({ type: 'memcached', servers: 'mc1:11211', username: 'bench', password: '***' })
    expect(JSON.stringify(config) + inspect(config, { depth: 10 })).not.toContain('mc-password-value')
    expect(config.cache.password).toBe('mc-password-value')
  })

  it('redacts HTTP and Hugging Face credentials, headers included', () => {
    const http = load({
      STORAGE_TYPE: 'http',
      HTTP_STORAGE_AUTH_TOKEN: 'tok-value',
      HTTP_STORAGE_PASSWORD: 'pw-value',
      HTTP_STORAGE_HEADERS: '{"Authorization":"Bearer hdr-value","X-Api-Key":"key-value","X-Team":"bench"}',
    })
    expect(http.redacted().storage).toEqual({
      type: 'http',
      authToken: '***',
      password: '***',
      headers: { Authorization: '***', 'X-Api-Key': '***', 'X-Team': '***' },
    })
    expect(JSON.stringify(load({ STORAGE_TYPE: 'hf', HF_TOKEN: 'hf_value' }))).not.toContain('hf_value')
  })

  it('redactUrl hides URL passwords and secret query parameters, and nothing else', () => {
    expect(redactUrl('redis://:pw@host:6379')).toBe('redis://:***@host:6379')
    expect(redactUrl('postgres://u:p@ss@h/db')).toBe('postgres://u:***@h/db')
    expect(redactUrl('connect to postgres://u:pw@h/db failed')).toBe('connect to postgres://u:***@h/db failed')
    expect(redactUrl('https://h/x?token=abc&page=2')).toBe('https://h/x?token=***&page=2')
    expect(redactUrl('https://user@h/a@b')).toBe('https://***@h/a@b')
    expect(redactUrl('s3://bucket/key')).toBe('s3://bucket/key')
  })

  it('redactSecrets matches field names case-insensitively, leaves unset ones and copies', () => {
    const input = {
      Password: 'a',
      clientSecret: 'b',
      apiKey: 'c',
      api_key: 'd',
      AUTHTOKEN: 'e',
      credentials: { user: 'u' },
      token: '',
      sessionToken: undefined,
      nested: [{ accessKeyId: 'f', region: 'r' }],
      url: 'redis://:g@h',
      port: 5432,
    }
    expect(redactSecrets(input)).toEqual({
      Password: '***',
      clientSecret: '***',
      apiKey: '***',
      api_key: '***',
      AUTHTOKEN: '***',
      credentials: '***',
      token: '',
      sessionToken: undefined,
      nested: [{ accessKeyId: '***', region: 'r' }],
      url: 'redis://:***@h',
      port: 5432,
    })
    expect(input.Password).toBe('a')
  })
})

describe('AssetConfig.fromObject', () => {
  it('applies the same defaults and validation as load', () => {
    const config = AssetConfig.fromObject({ storage: { type: 'S3Storage', bucket: 'b' } }, { env: { HOME }, cwd })
    expect(config.storage).toEqual({ type: 's3', bucket: 'b' })
    expect(config.registry).toEqual({ type: 'sqlite', path: `${HOME}/.local/share/assets/registry.db` })
    expect(config.sources.storage).toBe('code')
    const error = configError(() =>
      AssetConfig.fromObject({ cache: { ttl: -3 }, extra: 1 } as unknown as Parameters<typeof AssetConfig.fromObject>[0], {
        env: { HOME },
      }),
    )
    expect(fields(error)).toEqual(['cache.ttl', 'extra'])
  })

  it('takes folders from ASSETS_HOME but is not overridden by other variables', () => {
    const config = AssetConfig.fromObject({ cache: { ttl: 10 } }, { env: { HOME, ASSETS_HOME: '/srv/a', STORAGE_TYPE: 's3', CACHE_TTL: '99' } })
    expect(config.dataDir).toBe('/srv/a')
    expect(config.storage).toEqual({ type: 'local', path: '/srv/a/storage' })
    expect(config.cache.ttl).toBe(10)
    expect(AssetConfig.fromObject({ dataDir: '/explicit' }, { env: { ASSETS_HOME: '/srv/a' } }).dataDir).toBe('/explicit')
  })

  it('freezes its values without freezing the caller’s object', () => {
    const input = { storage: { type: 'local', path: '/tmp/x' }, users: { alice: { groups: ['lab'] } } }
    const config = AssetConfig.fromObject(input, { env: { HOME } })
    expect(config.users).toEqual({ alice: { groups: ['lab'], roles: [] } })
    expect(Object.isFrozen(config.storage)).toBe(true)
    expect(Object.isFrozen(input.storage)).toBe(false)
    expect(() => {
      ;(config.storage as Record<string, unknown>).path = '/elsewhere'
    }).toThrow(TypeError)
  })

  it('gives plugins a context with the folders and the insecure-storage switch', () => {
    const config = AssetConfig.fromObject({ allowInsecureStorage: true, dataDir: '/d', cacheDir: '/c' }, { env: { HOME } })
    const context = config.pluginContext({ warn: () => {} })
    expect(context).toMatchObject({ dataDir: '/d', cacheDir: '/c', allowInsecureStorage: true, env: { HOME } })
  })
})

describe('.env parsing', () => {
  it('reads KEY=VALUE with export, quotes, escapes, comments and multi-line values', () => {
    const { values, problems } = parseDotenv(
      [
        '# a comment',
        'export PLAIN = value with spaces   # trailing comment',
        'HASH=pa#ss',
        "SINGLE='no $interpolation \\n here'",
        'DOUBLE="line1\\nline2 \\"quoted\\""',
        'MULTI="-----BEGIN KEY-----',
        'abc',
        '-----END KEY-----"',
        'EMPTY=',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${} is the point: no interpolation
        'REF=${PLAIN}',
        'AFTER=1',
      ].join('\r\n'),
    )
    expect(problems).toEqual([])
    expect(values).toEqual({
      PLAIN: 'value with spaces',
      HASH: 'pa#ss',
      SINGLE: 'no $interpolation \\n here',
      DOUBLE: 'line1\nline2 "quoted"',
      MULTI: '-----BEGIN KEY-----\nabc\n-----END KEY-----',
      EMPTY: '',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${} is the point: no interpolation
      REF: '${PLAIN}',
      AFTER: '1',
    })
  })

  it('reports bad lines by number', () => {
    const { values, problems } = parseDotenv('OK=1\nnot a pair\n1BAD=2\nQ="x" y\nLAST=2\n')
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4])
    expect(values).toEqual({ OK: '1', LAST: '2' })
  })
})
