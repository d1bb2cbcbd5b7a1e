import { randomBytes } from 'node:crypto'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import postgres from 'postgres'
// The S3 plugin's own throwaway Ceph cluster (one monitor, one memstore OSD, a RADOS Gateway
// on loopback), so the team stack runs on the same real S3 server its plugin is tested on.
import { startCephRgw } from '../../../plugins/storage-s3/test/fixtures/ceph-rgw.mjs'

// A database of this run's own on the shared server (127.0.0.1:5432, trust auth), created
// before the tests and dropped after them. A missing server fails the run: nothing is skipped.
const admin = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), user: process.env.PGUSER ?? 'postgres', database: 'test' }

export interface TeamS3 {
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  bucket: string
}

type Provide = <K extends 'pgDatabase' | 's3'>(key: K, value: K extends 's3' ? TeamS3 : string) => void

export default async function setup({ provide }: { provide: Provide }) {
  const database = `assets_team_${randomBytes(4).toString('hex')}`
  const sql = postgres({ ...admin, max: 1, onnotice: () => {} })
  await sql.unsafe(`CREATE DATABASE ${database}`)
  await sql.end()
  provide('pgDatabase', database)
  const dropDatabase = async () => {
    const drop = postgres({ ...admin, max: 1, onnotice: () => {} })
    await drop.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await drop.end()
  }
  let rgw: Awaited<ReturnType<typeof startCephRgw>>
  try {
    rgw = await startCephRgw()
  } catch (error) {
    await dropDatabase()
    throw error
  }
  const s3: TeamS3 = { endpoint: rgw.endpoint, region: rgw.region, accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey, bucket: 'assets-team' }
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  })
  try {
    await client.send(new CreateBucketCommand({ Bucket: s3.bucket }))
  } catch (error) {
    await rgw.stop()
    await dropDatabase()
    throw error
  } finally {
    client.destroy()
  }
  provide('s3', s3)
  return async () => {
    await rgw.stop()
    await dropDatabase()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgDatabase: string
    s3: TeamS3
  }
}
