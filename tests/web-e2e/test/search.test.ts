import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { api } from './fixtures/api.js'
import { CatalogueBrowser, screenshot, signIn } from './fixtures/catalogue-browser.js'

const catalogue = inject('catalogue')
let browser: CatalogueBrowser
let page: Page

beforeAll(async () => {
  browser = await CatalogueBrowser.open(catalogue.url)
  page = await browser.context.newPage()
  await signIn(page, catalogue.url, catalogue.tokens.alice, { screenshot: 'sign-in' })
})
afterAll(() => browser?.close())

/** The keys of the result rows, in the order shown, once the results (or the empty state) are there. */
async function resultKeys(): Promise<string[]> {
  const results = page.getByRole('region', { name: 'Results' })
  await results.and(page.locator('[aria-busy="false"]')).waitFor()
  return results.getByTestId('search-result-row').locator('th[scope="row"] > a').allTextContents()
}

/** The keys the server answers for the same query as alice, in its order. */
async function serverKeys(query: Record<string, unknown>): Promise<string[]> {
  const { status, body } = await api('alice', '/v1/find', { body: { query: { sort: { field: 'createdAt', order: 'desc' }, limit: 25, ...query } } })
  expect(status).toBe(200)
  return (body as { items: Array<{ key: string }> }).items.map((item) => item.key)
}

describe('the search page', () => {
  it('finds assets by text, as the server does, and keeps the search in the URL', async () => {
    await page.getByLabel('Search keys and descriptions').fill('pbmc')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.waitForURL(/[?&]q=pbmc/)
    const keys = await resultKeys()
    expect(keys).toContain('datasets/pbmc3k')
    expect(keys).not.toContain('datasets/mouse-brain')
    expect(keys).toEqual(await serverKeys({ text: 'pbmc' }))
    await page.getByRole('region', { name: 'Filters in force' }).getByText('text = pbmc').waitFor()
  })

  it('filters by kind and organism; a reload shows the same results', async () => {
    await page.getByLabel('Search keys and descriptions').fill('')
    await page.getByLabel('Kind', { exact: true }).selectOption('dataset')
    await page.getByLabel('Organism', { exact: true }).fill('human')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.waitForURL((url) => url.searchParams.get('kind') === 'dataset' && url.searchParams.get('organism') === 'human' && !url.searchParams.has('q'))
    const keys = await resultKeys()
    expect([...keys].sort()).toEqual(['datasets/embargoed', 'datasets/pbmc3k'])
    expect(keys).toEqual(await serverKeys({ kind: 'dataset', where: { organism: 'human' } }))
    const chips = page.getByRole('region', { name: 'Filters in force' })
    await chips.getByText('kind = dataset').waitFor()
    await chips.getByText('organism = human').waitFor()

    const before = page.url()
    await page.reload()
    expect(page.url()).toBe(before)
    expect(await resultKeys()).toEqual(keys)
    await expect(page.getByLabel('Kind', { exact: true }).inputValue()).resolves.toBe('dataset')
    await expect(page.getByLabel('Organism', { exact: true }).inputValue()).resolves.toBe('human')
    await screenshot(page, 'search')

    // Another organism: only the mouse dataset.
    await page.getByLabel('Organism', { exact: true }).fill('mouse')
    await page.getByRole('button', { name: 'Search', exact: true }).click()
    await page.waitForURL((url) => url.searchParams.get('organism') === 'mouse')
    expect(await resultKeys()).toEqual(['datasets/mouse-brain'])
  })

  it('opens an asset from the results: its versions, tags and metadata', async () => {
    await page.goto(`${catalogue.url}/?kind=dataset&organism=human`)
    await resultKeys()
    await page.getByRole('link', { name: 'datasets/pbmc3k', exact: true }).click()
    await page.waitForURL((url) => url.pathname === '/a/datasets/pbmc3k')
    const [first, second] = catalogue.versions['datasets/pbmc3k'] ?? []
    // The URL changes before the asset page replaces the search page's heading: wait for the new one.
    await page.getByRole('heading', { level: 1, name: `datasets/pbmc3k @${second}`, exact: true }).waitFor()

    const versions = page.getByTestId('versions-table')
    const rows = versions.locator('tbody tr')
    await expect(rows.locator('th').allTextContents()).resolves.toEqual([second, first])
    // The latest is the one shown; `gold` and `reviewed` stay on the first version (writes.test.ts may add a tag of its own).
    const latestTags = await rows.nth(0).locator('.tag').allTextContents()
    const firstTags = await rows.nth(1).locator('.tag').allTextContents()
    expect(latestTags).toContain('latest')
    expect(latestTags).not.toContain('gold')
    expect(firstTags).toEqual(expect.arrayContaining(['gold', 'reviewed']))
    expect(firstTags).not.toContain('latest')
    await expect(rows.nth(0).getByRole('link').getAttribute('aria-current')).resolves.toBe('page')

    const metadata = page.getByRole('table', { name: 'Metadata' })
    const field = (name: string) => metadata.locator('tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) }).locator('td').first()
    await expect(field('organism').textContent()).resolves.toContain('human')
    await expect(field('modality').textContent()).resolves.toContain('rna')
    await expect(field('assay').textContent()).resolves.toContain('10x')
    await expect(field('n_cells').textContent()).resolves.toContain('60')
    await expect(page.locator('.asset-header .description').textContent()).resolves.toBe('Peripheral blood mononuclear cells, 3k of a healthy donor')
    await screenshot(page, 'asset-dataset')

    // The first version through its row: its own metadata.
    await rows.nth(1).getByRole('link', { name: first }).click()
    await page.waitForURL((url) => url.searchParams.get('v') === first)
    await page.getByRole('heading', { level: 1, name: `datasets/pbmc3k @${first}`, exact: true }).waitFor()
    await expect(field('n_cells').textContent()).resolves.toContain('40')
  })

  it('shows a model with the datasets its spec fits', async () => {
    await page.goto(`${catalogue.url}/a/models/scvi`)
    await page.getByRole('heading', { level: 1, name: /models\/scvi/ }).waitFor()
    const compat = page.getByTestId('compat-table')
    const row = compat.locator('tr', { has: page.getByRole('link', { name: /^datasets\/pbmc3k@/ }) }).first()
    await expect(row.locator('.verdict').textContent()).resolves.toBe('compatible')
    await screenshot(page, 'asset-model')
  })
})
