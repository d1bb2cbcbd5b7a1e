import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { Sandbox } from '../../../apps/cli/test/fixtures/cli.js'

const s3 = inject('s3')
let s: Sandbox

beforeAll(async () => {
  s = await Sandbox.create('s3-stderr')
})
afterAll(() => s.cleanup())

const env = () => ({
  STORAGE_TYPE: 'S3',
  S3_BUCKET: s3.bucket,
  S3_PREFIX: `stderr-${randomBytes(3).toString('hex')}`,
  S3_REGION: s3.region,
  S3_ENDPOINT_URL: s3.endpoint,
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  // Plain http:// on loopback: insecure storage is allowed here, explicitly.
  ALLOW_INSECURE_STORAGE: 'true',
})

describe('S3 storage and stderr', () => {
  it('with --json -q, a put, get and find on S3 print nothing on stderr (no SDK Node-version warning)', async () => {
    const run = { env: env() }
    await writeFile(s.path('quiet.txt'), 'quiet bytes\n')
    for (const args of [['put', 's3/quiet', 'quiet.txt'], ['get', 's3/quiet'], ['find', '--prefix', 's3/']]) {
      const r = await s.run([...args, '--json', '-q'], run)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      expect(() => JSON.parse(r.stdout)).not.toThrow()
    }
  })

  it('a failure with --json on S3 puts only our JSON error on stderr', async () => {
    const r = await s.run(['get', 's3/absent', '--json'], { env: env() })
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'ASSET_NOT_FOUND' } })
  })

  it('without --json the warning is not shown either', async () => {
    const r = await s.run(['find', '--prefix', 's3/'], { env: env() })
    expect(r.code).toBe(0)
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK/)
  })
})
