import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { generateApiFiles } from '../scripts/generate-api.mjs'

const committed = (name: string) => readFile(new URL(`../src/api/${name}`, import.meta.url), 'utf8')

// The typed client is only as true as its document: these fail when the server's routes or
// schemas changed without `pnpm --filter @assets/web run generate-api` (then commit both files).
describe('the committed API document', () => {
  it('is the OpenAPI document the server app answers now, and its types are generated from it', async () => {
    const files = await generateApiFiles()
    expect(JSON.parse(await committed('openapi.json'))).toEqual(JSON.parse(files['openapi.json']))
    expect(await committed('schema.d.ts')).toBe(files['schema.d.ts'])
  })
})
