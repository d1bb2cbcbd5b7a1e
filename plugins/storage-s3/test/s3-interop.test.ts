import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { sha256 } from '@assets/core'
import { temporaryFolder } from '@assets/testkit'
import { describe, expect, it } from 'vitest'
import { readAll, server, testStorage } from './fixtures/s3-server.js'

const run = promisify(execFile)
const MiB = 1024 * 1024

/** The real clients, from the Debian packages awscli and python3-boto3, on the same server. */
function clientEnv(): NodeJS.ProcessEnv {
  const s = server()
  return { ...process.env, AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey, AWS_DEFAULT_REGION: s.region, AWS_EC2_METADATA_DISABLED: 'true' }
}

async function aws(...args: string[]): Promise<string> {
  const { stdout } = await run('/usr/bin/aws', ['--endpoint-url', server().endpoint, ...args], { env: clientEnv(), maxBuffer: 1 << 20 })
  return stdout
}

const BOTO = `
import sys, boto3
from boto3.s3.transfer import TransferConfig
op, bucket, key, path, endpoint = sys.argv[1:6]
s3 = boto3.client('s3', endpoint_url=endpoint)
config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
if op == 'upload':
    s3.upload_file(path, bucket, key, Config=config)
else:
    s3.download_file(bucket, key, path, Config=config)
print(s3.head_object(Bucket=bucket, Key=key)['ETag'])
`

async function boto(op: 'upload' | 'download', key: string, path: string): Promise<string> {
  const { stdout } = await run('/usr/bin/python3', ['-c', BOTO, op, server().bucket, key, path, server().endpoint], { env: clientEnv() })
  return stdout.trim()
}

describe('interoperability with aws-cli and boto3 on the same server', () => {
  it('reads objects that aws s3 cp uploaded (multipart included), and aws reads back what the plugin wrote', async () => {
    const storage = await testStorage()
    const folder = await temporaryFolder('s3-interop')
    const small = randomBytes(70_000)
    const large = randomBytes(19 * MiB + 5)
    await writeFile(join(folder, 'small.bin'), small)
    await writeFile(join(folder, 'large.bin'), large)
    await aws('s3', 'cp', '--no-progress', join(folder, 'small.bin'), `s3://${storage.bucket}/${storage.prefix}from-aws/small.bin`)
    await aws('s3', 'cp', '--no-progress', join(folder, 'large.bin'), `s3://${storage.bucket}/${storage.prefix}from-aws/large.bin`)
    expect((await storage.stat('from-aws/large.bin'))?.etag).toMatch(/-\d+"$/)
    expect((await readAll(storage.open('from-aws/small.bin'))).equals(small)).toBe(true)
    expect((await storage.download('from-aws/large.bin', join(folder, 'large.copy'))).digest).toBe(sha256(large))
    expect((await readFile(join(folder, 'large.copy'))).equals(large)).toBe(true)

    const written = randomBytes(17 * MiB + 1)
    await writeFile(join(folder, 'mine.bin'), written)
    await storage.upload('from-plugin/mine.bin', join(folder, 'mine.bin'))
    await aws('s3', 'cp', '--no-progress', `s3://${storage.bucket}/${storage.prefix}from-plugin/mine.bin`, join(folder, 'mine.aws'))
    expect((await readFile(join(folder, 'mine.aws'))).equals(written)).toBe(true)
    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', storage.bucket, '--key', `${storage.prefix}from-plugin/mine.bin`))
    expect(head.ContentLength).toBe(written.length)
    expect(head.ETag).toMatch(/-4"$/)
    await storage.close()
  })

  it('reads objects that boto3 uploaded (multipart included), and boto3 downloads what the plugin wrote', async () => {
    const storage = await testStorage()
    const folder = await temporaryFolder('s3-interop')
    const fromBoto = randomBytes(12 * MiB + 3)
    await writeFile(join(folder, 'boto.bin'), fromBoto)
    const etag = await boto('upload', `${storage.prefix}from-boto.bin`, join(folder, 'boto.bin'))
    expect(etag).toMatch(/-3"$/)
    expect((await storage.download('from-boto.bin', join(folder, 'boto.copy'))).digest).toBe(sha256(fromBoto))
    expect(sha256(await readAll(storage.open('from-boto.bin', { start: 5 * MiB, end: 11 * MiB })))).toBe(sha256(fromBoto.subarray(5 * MiB, 11 * MiB)))

    const mine = randomBytes(11 * MiB)
    await storage.upload('from-plugin.bin', (async function* () {
      for (let i = 0; i < mine.length; i += 1 << 20) yield mine.subarray(i, i + (1 << 20))
    })())
    await boto('download', `${storage.prefix}from-plugin.bin`, join(folder, 'plugin.boto'))
    expect((await readFile(join(folder, 'plugin.boto'))).equals(mine)).toBe(true)
    await storage.close()
  })
})
