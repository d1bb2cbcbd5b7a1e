import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { api } from './fixtures/api.js'
import { CatalogueBrowser } from './fixtures/catalogue-browser.js'
import { lineageGraph } from './fixtures/lineage-graph.js'

const catalogue = inject('catalogue')
const SECRET = 'datasets/secret-zebrafish'
const secretVersion = catalogue.versions[SECRET]?.[0] ?? ''
let alice: CatalogueBrowser
let bob: CatalogueBrowser
let alicePage: Page
let bobPage: Page

beforeAll(async () => {
  alice = await CatalogueBrowser.open(catalogue.url)
  bob = await CatalogueBrowser.open(catalogue.url)
  alicePage = await alice.signedIn(catalogue.tokens.alice)
  bobPage = await bob.signedIn(catalogue.tokens.bob)
})
afterAll(async () => {
  await alice?.close()
  await bob?.close()
})

async function search(page: Page, query: string): Promise<string[]> {
  await page.goto(`${catalogue.url}/?${query}`)
  const results = page.getByRole('region', { name: 'Results' })
  await results.and(page.locator('[aria-busy="false"]')).waitFor()
  return results.getByTestId('search-result-row').locator('th[scope="row"] > a').allTextContents()
}

describe('an asset only alice may read', () => {
  it('is not found by bob’s text search, nor listed anywhere in his results; alice finds it', async () => {
    expect(await search(bobPage, 'q=zebrafish')).toEqual([])
    await bobPage.getByText('No assets match').waitFor()
    expect(await search(alicePage, 'q=zebrafish')).toEqual([SECRET])

    const everything = await search(bobPage, 'limit=100')
    expect(everything).toContain('datasets/pbmc3k')
    expect(everything).not.toContain(SECRET)
    expect(await bobPage.locator('main').textContent()).not.toContain('zebrafish')
    expect(await search(alicePage, 'limit=100')).toContain(SECRET)
  })

  it('is left out of the output’s lineage for bob, with its edge; alice sees both', async () => {
    await bobPage.goto(`${catalogue.url}/lineage/outputs/run-1?depth=2&direction=both`)
    const bobs = await lineageGraph(bobPage, { nodes: 3, edges: 2 })
    await expect(bobPage.getByRole('status').filter({ hasText: 'versions' }).textContent()).resolves.toMatch(/^3 versions, 2 edges\b/)
    expect(bobs.nodes.some((n) => n.startsWith(SECRET))).toBe(false)
    expect(bobs.edges.some((e) => e.includes(SECRET))).toBe(false)
    expect(await bobPage.locator('main').textContent()).not.toContain('zebrafish')

    await alicePage.goto(`${catalogue.url}/lineage/outputs/run-1?depth=2&direction=both`)
    const alices = await lineageGraph(alicePage, { nodes: 4, edges: 3 })
    expect(alices.nodes).toContain(`${SECRET}@${secretVersion}`)
  })

  it('is not in the output’s relationships on bob’s page of the output', async () => {
    await bobPage.goto(`${catalogue.url}/a/outputs/run-1`)
    const relationships = bobPage.getByRole('region', { name: 'Relationships' })
    await relationships.getByRole('link', { name: /^models\/scvi@/ }).waitFor()
    expect(await relationships.getByRole('listitem').count()).toBe(2)
    expect(await bobPage.locator('main').textContent()).not.toContain('zebrafish')
  })

  it('shows bob the same not-found state at its direct URL as a key that never existed; alice sees its page', async () => {
    const notFound = async (key: string) => {
      await bobPage.goto(`${catalogue.url}/a/${key}`)
      const alert = bobPage.getByRole('alert')
      await alert.waitFor()
      await expect(bobPage.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(key)
      return (await alert.textContent())?.replaceAll(key, '<key>')
    }
    const secret = await notFound(SECRET)
    expect(secret).toContain('ASSET_NOT_FOUND')
    expect(secret).not.toContain('zebrafish')
    expect(secret).toBe(await notFound('datasets/never-registered'))
    // Nor by an exact version, nor through its bytes with bob's download cookie.
    await bobPage.goto(`${catalogue.url}/a/${SECRET}?v=${secretVersion}`)
    await expect(bobPage.getByRole('alert').textContent()).resolves.toContain('ASSET_NOT_FOUND')
    const content = await bobPage.evaluate(async (path) => (await fetch(path, { credentials: 'same-origin' })).status, `/v1/content/${SECRET}?ref=${secretVersion}`)
    expect(content).toBe(404)

    await alicePage.goto(`${catalogue.url}/a/${SECRET}`)
    await alicePage.getByRole('heading', { level: 1, name: `${SECRET} @${secretVersion}`, exact: true }).waitFor()
    await expect(alicePage.getByRole('region', { name: 'Access' }).textContent()).resolves.toContain('nobody else')
    // The server agrees: alice reads it, bob gets what a missing key gets.
    expect((await api('alice', `/v1/info/${SECRET}`)).status).toBe(200)
    expect(await api('bob', `/v1/info/${SECRET}`)).toEqual(await api('bob', '/v1/info/datasets/never-registered').then((r) => ({ ...r, body: JSON.parse(JSON.stringify(r.body).replaceAll('datasets/never-registered', SECRET)) })))
  })
})
