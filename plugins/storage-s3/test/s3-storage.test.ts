import { storageSuite } from '@assets/testkit'
import { describe, it } from 'vitest'
import { S3_STORAGE_CAPABILITIES } from '../src/index.js'
import { testStorage } from './fixtures/s3-server.js'

// 12 MiB: more than two 5 MiB parts, so the large-object cases go through multipart and ranges.
const suite = { capabilities: S3_STORAGE_CAPABILITIES, largeObjectBytes: 12 << 20, copy: true }

describe('with the SDK flexible checksums (checksum: when_supported, the default)', () => {
  storageSuite(it, () => testStorage(), suite)
})

describe('with checksums only where required (checksum: when_required)', () => {
  storageSuite(it, () => testStorage({ checksum: 'when_required' }), suite)
})
