import { readFile } from 'node:fs/promises'
import { storageSuite } from '@assets/testkit'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createHttpStorage } from '../src/index.js'
import { NginxServer } from './fixtures/nginx-server.js'

let nginx: NginxServer
// Suites are declared before beforeAll runs, so options are read lazily in each test's create().
const silent = { warn: () => {} }

beforeAll(async () => {
  nginx = await NginxServer.start()
})

afterAll(async () => {
  await nginx?.stop()
})

describe('conformance: writable WebDAV over plain http on loopback', () => {
  storageSuite(it, () => createHttpStorage({ baseUrl: nginx.url('dav'), retryBaseDelayMs: 20 }, { allowInsecureStorage: true, logger: silent }), {
    capabilities: { atomicMove: true },
  })
})

describe('conformance: writable WebDAV over TLS, trusting the test CA', () => {
  storageSuite(
    it,
    async () => createHttpStorage({ baseUrl: nginx.url('dav', true), ca: await readFile(nginx.credentials.certFile, 'utf8'), retryBaseDelayMs: 20 }, { logger: silent }),
    { capabilities: { atomicMove: true } },
  )
})

describe('conformance: a read-only mirror (files placed behind nginx by the seed hook)', () => {
  storageSuite(it, () => createHttpStorage({ baseUrl: nginx.url('ro'), readOnly: true }, { allowInsecureStorage: true, logger: silent }), {
    capabilities: { write: false, delete: false, list: false, atomicMove: false },
    seed: (location, bytes) => nginx.seed(location, bytes),
  })
})
