import { InvalidKeyError, validateKey } from '@assets/core'

/**
 * The asset key a wildcard route names (`/v1/info/datasets/pbmc`): validated as every key is
 * before anything reads the catalogue or a store. Fastify has already decoded it once; a
 * second level of encoding (`%252e%252e`) leaves a `%`, which no key may hold, so it is
 * refused rather than decoded again.
 */
export function keyParam(params: unknown): string {
  const raw = (params as Record<string, unknown>)['*']
  if (typeof raw !== 'string' || raw === '') throw new InvalidKeyError('the path names no asset key')
  return validateKey(raw)
}
