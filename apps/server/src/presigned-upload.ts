import { createHash, randomBytes } from 'node:crypto'
import {
  blobLocation,
  type ContentDigest,
  digestHex,
  IntegrityError,
  InvalidInputError,
  MAX_PRESIGNED_PUT_BYTES,
  NotFoundError,
  type PresignedRequest,
  type Storage,
  toContentDigest,
  UnsupportedOperationError,
} from '@assets/core'
import { type UploadArea, userHash } from './upload-area.js'


const UPLOAD_ID = /^[0-9a-f]{32}$/

export interface PresignedUpload extends PresignedRequest {
  /** Names this upload in the completion call; only its user can complete it. */
  uploadId: string
  /** Where the blob will be once the upload is completed. */
  location: string
}

/**
 * Uploads that go straight to the store through a presigned PUT, yet leave the same proof of
 * possession as an upload through the server. The URL writes a staging object of its own,
 * `staging/presigned/<user hash>/<random id>.<digest hex>`: unguessable, under the user's own
 * prefix (so one user cannot complete another's), and named for the digest that was signed
 * (so a completion cannot claim other bytes). Completing checks the bytes (the store's check
 * of the signed payload hash where it makes one, else a read of the staged object), places
 * them at their content address, writes the user's receipt and drops the staged object. What
 * is never completed, gc removes with the rest of `staging/` after its grace period.
 */
export class PresignedUploads {
  #gatewayChecks: Promise<boolean> | undefined

  constructor(
    private readonly storage: Storage,
    private readonly uploads: UploadArea,
    private readonly expiresInSeconds: number,
    private readonly maxBlobBytes: number,
  ) {}

  private staged(user: string, uploadId: string, digest: ContentDigest): string {
    return `staging/presigned/${userHash(user)}/${uploadId}.${digestHex(digest)}`
  }

  private gatewayChecks(): Promise<boolean> {
    this.#gatewayChecks ??= probeGateway(this.storage, this.presigner()).catch(() => {
      this.#gatewayChecks = undefined
      return false
    })
    return this.#gatewayChecks
  }

  private presigner(): NonNullable<Storage['presign']> {
    const { storage } = this
    if (!storage.capabilities.presign || !storage.presign) throw new UnsupportedOperationError(`storage "${storage.name}" makes no presigned URLs: move the bytes through the server`)
    return storage.presign.bind(storage)
  }

  async start(user: string, digest: ContentDigest, size: number): Promise<PresignedUpload> {
    const presign = this.presigner()
    if (size > this.maxBlobBytes) throw new InvalidInputError(`a blob may have at most ${this.maxBlobBytes} bytes`)
    if (size > MAX_PRESIGNED_PUT_BYTES) {
      throw new UnsupportedOperationError(`a presigned upload carries at most 5 GiB (one PUT request), not ${size} bytes: upload through the server (PUT /v1/blobs/…)`)
    }
    const uploadId = randomBytes(16).toString('hex')
    const presigned = await presign(this.staged(user, uploadId, digest), { method: 'PUT', digest, size, expiresInSeconds: this.expiresInSeconds })
    return { ...presigned, uploadId, location: blobLocation(digest) }
  }

  /**
   * Adopts the bytes of a presigned upload as the blob of `digest` for `user`. Nothing is
   * registered: the client registers next, as after any upload.
   */
  async complete(user: string, uploadId: string, digest: ContentDigest, size: number): Promise<{ location: string; digest: ContentDigest; size: number }> {
    const presign = this.presigner()
    if (!UPLOAD_ID.test(uploadId)) throw new InvalidInputError('uploadId is the 32 hex digits POST /v1/presign answered with')
    const { storage } = this
    const staged = this.staged(user, uploadId, digest)
    const found = await storage.stat(staged)
    if (!found) {
      throw new NotFoundError(`no presigned upload ${uploadId} of ${digest} by user "${user}" is waiting: PUT the bytes to its URL first (one not completed within the grace period is removed); nothing was stored`)
    }
    const location = blobLocation(digest)
    try {
      if (found.size !== size) throw new IntegrityError(`the presigned upload ${uploadId} holds ${found.size} bytes, not the ${size} declared: nothing was stored`)
      // Signing makes no request, so the store's answer for a PUT like this one says whether
      // it counts on its gateway to refuse every other body (it cannot differ from when the URL
      // was made); the gateway is then taken at its word only once it was seen to refuse.
      const verified = (await presign(staged, { method: 'PUT', digest, size, expiresInSeconds: 1 })).verified && (await this.gatewayChecks())
      const present = (await storage.stat(location))?.size === size
      if (verified) {
        if (!present) await (storage.copy ? storage.copy(staged, location) : storage.upload(location, storage.open(staged), { digest, size }))
      } else if (present) {
        // The URL stays valid until it expires, so the bytes are read once, here, not trusted from an earlier look.
        await checkDigest(storage.open(staged), digest, uploadId)
      } else {
        // Writing with the digest refuses other bytes, so a copy made while reading is checked too.
        await storage.upload(location, storage.open(staged), { digest, size })
      }
    } catch (error) {
      if (IntegrityError.isInstance(error)) await storage.delete(staged).catch(() => {})
      throw error
    }
    await this.uploads.writeReceipt(user, digestHex(digest))
    // A staged object left by a failed delete lapses with the rest of staging/.
    await storage.delete(staged).catch(() => {})
    return { location, digest, size }
  }
}

/**
 * Whether the gateway really refuses a presigned PUT whose body is not the one whose hash it
 * signs, seen once per process with a PUT of other bytes to a URL of our own: the store's
 * setting (presignedPayloadCheck) is only what its operator believes, and a gateway that did
 * not check would let a user's junk land at the content address of someone's real blob. A
 * probe that could not run is tried again next time, and the bytes are hashed meanwhile.
 */
async function probeGateway(storage: Storage, presign: NonNullable<Storage['presign']>): Promise<boolean> {
  const signed = Buffer.from('assets: presigned payload probe A')
  const sent = Buffer.from('assets: presigned payload probe B')
  const location = `staging/presigned/probe/${randomBytes(16).toString('hex')}`
  const digest = toContentDigest(createHash('sha256').update(signed))
  const request = await presign(location, { method: 'PUT', digest, size: signed.length, expiresInSeconds: 60 })
  if (!request.verified) return false
  try {
    const response = await fetch(request.url, { method: 'PUT', headers: request.headers, body: sent })
    await response.arrayBuffer().catch(() => undefined)
    if (response.status >= 500) throw new Error(`the store answered the probe with ${response.status}`)
    return !response.ok
  } finally {
    await storage.delete(location).catch(() => {})
  }
}

async function checkDigest(source: AsyncIterable<Uint8Array>, digest: ContentDigest, uploadId: string): Promise<void> {
  const hash = createHash('sha256')
  for await (const chunk of source) hash.update(chunk)
  const actual = toContentDigest(hash)
  if (actual !== digest) throw new IntegrityError(`the bytes of presigned upload ${uploadId} have digest ${actual}, not ${digest}: nothing was stored`)
}
