import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import mysql from 'mysql2/promise'
import postgres from 'postgres'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
// The command as users run it (apps/cli/dist/bin.js) in a sandbox whose environment holds only
// PATH, HOME and ASSETS_HOME, with its working folder under the system's temporary folder: far
// from the workspace, so nothing can be found through the workspace's node_modules.
import { Sandbox } from '../../../apps/cli/test/fixtures/cli.js'
import { NginxServer } from '../../../plugins/storage-http/test/fixtures/nginx-server.js'
import { type LocalHub, startLocalHub } from '../../../plugins/storage-huggingface/test/fixtures/hub-server.js'

const s3 = inject('s3')
const pgDatabase = inject('pgDatabase')
let s: Sandbox

beforeAll(async () => {
  s = await Sandbox.create('backends')
})
afterAll(() => s.cleanup())

/** A file of random bytes in the working folder, and its sha256. */
async function sample(name: string): Promise<{ path: string; bytes: Buffer; sha256: string }> {
  const bytes = randomBytes(64 * 1024 + 123)
  const path = s.path(name)
  await writeFile(path, bytes)
  return { path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') }
}

interface Put {
  key: string
  version: string
  digest: string
}

/**
 * put then get through the command with `env`: the bytes that come back are the bytes put, under
 * the file's own name; and a folder comes back whole under its own name too.
 */
async function roundTrip(key: string, env: Record<string, string>, home: string): Promise<{ put: Put; sha256: string; path: string }> {
  const file = await sample(`${key.replace(/\W/g, '-')}.h5ad`)
  const run = { env: { ...env, ASSETS_HOME: home } }
  const put = await s.json<Put>(['put', key, file.path], run)
  expect(put.digest).toBe(`sha256:${file.sha256}`)
  const got = await s.json<{ path: string }>(['get', `${key}@${put.version}`], run)
  expect(basename(got.path)).toBe(basename(file.path))
  expect(createHash('sha256').update(await readFile(got.path)).digest('hex')).toBe(file.sha256)
  const folder = s.path(`${key.replace(/\W/g, '-')}.zarr`)
  await mkdir(join(folder, 'X'), { recursive: true })
  await writeFile(join(folder, '.zgroup'), '{"zarr_format": 2}')
  await writeFile(join(folder, 'X', '0.0'), file.bytes)
  await s.json(['put', `${key}-store`, folder], run)
  const store = await s.json<{ path: string }>(['get', `${key}-store`], run)
  expect(basename(store.path)).toBe(basename(folder))
  expect(await readFile(join(store.path, 'X', '0.0'))).toEqual(file.bytes)
  return { put, sha256: file.sha256, path: got.path }
}

const registry = () => ({ DB_TYPE: 'PostgreSQL', DB_HOST: '127.0.0.1', DB_PORT: '5432', DB_USER: 'postgres', DB_NAME: pgDatabase })
const storage = () => ({
  STORAGE_TYPE: 'S3',
  S3_BUCKET: s3.bucket,
  S3_PREFIX: `cli-${randomBytes(3).toString('hex')}`,
  S3_REGION: s3.region,
  S3_ENDPOINT_URL: s3.endpoint,
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  // Plain http:// on loopback: insecure storage is allowed here, explicitly.
  ALLOW_INSECURE_STORAGE: 'true',
})
const cache = () => ({ CACHE_TYPE: 'RedisCache', REDIS_URL: 'redis://127.0.0.1:6379' })

describe('each built-in backend, selected by the seed’s variables', () => {
  it('DB_TYPE=PostgreSQL keeps the catalogue in PostgreSQL', async () => {
    const { put } = await roundTrip('pg/one', registry(), s.path('home-pg'))
    const sql = postgres({ host: '127.0.0.1', port: 5432, user: 'postgres', database: pgDatabase, max: 1, onnotice: () => {} })
    try {
      const rows = await sql`SELECT version FROM public.versions WHERE key = 'pg/one'`
      expect(rows.map((r) => r.version)).toEqual([put.version])
    } finally {
      await sql.end()
    }
    // The embedded registry was not touched.
    await expect(stat(join(s.path('home-pg'), 'registry.db'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('DB_TYPE=MariaDB keeps the catalogue in MariaDB', async () => {
    const database = `assets_cli_${randomBytes(4).toString('hex')}`
    const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' })
    await admin.query(`CREATE DATABASE \`${database}\``)
    try {
      const env = { DB_TYPE: 'MariaDB', DB_HOST: '127.0.0.1', DB_PORT: '3306', DB_USER: 'root', DB_NAME: database }
      const { put } = await roundTrip('maria/one', env, s.path('home-maria'))
      const [rows] = await admin.query(`SELECT version FROM \`${database}\`.versions WHERE \`key\` = 'maria/one'`)
      expect((rows as Array<{ version: string }>).map((r) => r.version)).toEqual([put.version])
      // The embedded registry was not touched.
      await expect(stat(join(s.path('home-maria'), 'registry.db'))).rejects.toMatchObject({ code: 'ENOENT' })
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``)
      await admin.end()
    }
  })

  it('STORAGE_TYPE=S3 keeps the content in the bucket (a Ceph RADOS Gateway)', async () => {
    const env = storage()
    const { sha256 } = await roundTrip('s3/one', env, s.path('home-s3'))
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3 })
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${env.S3_PREFIX}/` }))
      expect((listed.Contents ?? []).map((o) => o.Key)).toContain(`${env.S3_PREFIX}/blobs/sha256/${sha256.slice(0, 2)}/${sha256}`)
    } finally {
      client.destroy()
    }
  })

  it('CACHE_TYPE=RedisCache puts fetched content in the shared Redis tier', async () => {
    const { sha256 } = await roundTrip('redis/one', cache(), s.path('home-redis'))
    const redis = createClient({ url: 'redis://127.0.0.1:6379' })
    await redis.connect()
    try {
      const keys: string[] = []
      for await (const batch of redis.scanIterator({ MATCH: `assets:*${sha256}*`, COUNT: 1000 })) keys.push(...batch)
      expect(keys).not.toEqual([])
    } finally {
      redis.destroy()
    }
  })

  describe('STORAGE_TYPE=HTTP on a WebDAV server (nginx)', () => {
    let nginx: NginxServer
    beforeAll(async () => {
      nginx = await NginxServer.start()
    })
    afterAll(() => nginx?.stop())

    it('puts content on the server and gets it back', async () => {
      const env = { STORAGE_TYPE: 'HTTP', HTTP_STORAGE_BASE_URL: nginx.url('dav'), ALLOW_INSECURE_STORAGE: 'true' }
      const { sha256 } = await roundTrip('http/one', env, s.path('home-http'))
      const stored = await readFile(join(nginx.root, 'data', 'dav', 'blobs', 'sha256', sha256.slice(0, 2), sha256))
      expect(createHash('sha256').update(stored).digest('hex')).toBe(sha256)
    })
  })

  describe('STORAGE_TYPE=HuggingFace on the local hub', () => {
    let hub: LocalHub
    const token = `hf_${randomBytes(16).toString('hex')}`
    beforeAll(async () => {
      hub = await startLocalHub()
      hub.state.addUser('owner', token)
      hub.state.createRepo('dataset', 'owner/benchmarks', 'owner', { private: true })
    })
    afterAll(() => hub?.close())

    it('commits content to the repository and gets it back', async () => {
      // The repository has no variable of its own in the seed: it comes from the config file.
      await writeFile(s.path('hf.yaml'), 'storage:\n  type: huggingface\n  repo: owner/benchmarks\n  repoType: dataset\n')
      const env = { STORAGE_TYPE: 'HuggingFace', HF_TOKEN: token, HF_ENDPOINT: hub.url, ALLOW_INSECURE_STORAGE: 'true', CONFIG_PATH: 'hf.yaml' }
      const { sha256 } = await roundTrip('hf/one', env, s.path('home-hf'))
      const repo = hub.state.repo('dataset', 'owner/benchmarks')
      expect(repo).toBeDefined()
      const head = hub.state.commitAt(repo!, 'main')
      expect([...head.files.keys()]).toContain(`blobs/sha256/${sha256.slice(0, 2)}/${sha256}`)
    })
  })

  it('the whole team stack at once: a second worker gets what the first put', async () => {
    const env = { ...registry(), ...storage(), ...cache() }
    const { put, sha256 } = await roundTrip('team/one', env, s.path('worker-1'))
    const second = await s.json<{ path: string }>(['get', `team/one@${put.version}`], { env: { ...env, ASSETS_HOME: s.path('worker-2') } })
    expect(second.path.startsWith(s.path('worker-2'))).toBe(true)
    expect(createHash('sha256').update(await readFile(second.path)).digest('hex')).toBe(sha256)
    const plugins = await s.json<{ plugins: Array<{ packageName: string; selected: boolean; origin: string }> }>(['plugins'], { env })
    expect(plugins.plugins.filter((p) => p.selected).map((p) => [p.packageName, p.origin])).toEqual([
      ['@assets/storage-s3', 'bundled'],
      ['@assets/cache-redis', 'bundled'],
      ['@assets/registry-postgres', 'bundled'],
    ])
  })
})
