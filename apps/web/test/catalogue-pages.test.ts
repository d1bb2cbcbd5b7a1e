import { readFile } from 'node:fs/promises'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, signedIn } from './fixtures/browser'
import { type CatalogueStack, CONTENT, startCatalogueStack } from './fixtures/catalogue-stack'

// The built app, served by the real server on a real stack, driven in a real browser: each page
// shows what the server answers for the signed-in token and nothing else.
let stack: CatalogueStack
let browser: Browser
beforeAll(async () => {
  stack = await startCatalogueStack()
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await stack?.close()
})

const rowKeys = async (page: import('playwright-core').Page) => (await page.getByTestId('search-result-row').locator('th a').allInnerTexts()).sort()

describe('search', () => {
  it('lists the latest version of each asset the token may read, and no other', async () => {
    const alice = await signedIn(browser, stack.url, stack.token('alice'))
    await alice.getByTestId('search-result-row').first().waitFor()
    expect(await rowKeys(alice)).toEqual(['datasets/mouse-brain', 'datasets/pbmc3k', 'models/scvi', 'outputs/scvi-eval'])
    const bob = await signedIn(browser, stack.url, stack.token('bob'))
    await bob.getByTestId('search-result-row').first().waitFor()
    expect(await rowKeys(bob)).toContain('datasets/bob-private')
  })

  it('builds a clause on a metadata field by picking, keeps it in the URL, and says what to do when nothing matches', async () => {
    const page = await signedIn(browser, stack.url, stack.token('alice'))
    await page.getByLabel('Field', { exact: true }).fill('n_obs')
    await page.getByLabel('Operator', { exact: true }).selectOption('gte')
    await page.getByLabel('Value', { exact: true }).fill('2000')
    await page.getByRole('button', { name: 'Add filter' }).click()
    await page.waitForURL(/w=n_obs%3Agte%3A2000/)
    await page.getByTestId('search-result-row').first().waitFor()
    expect(await rowKeys(page)).toEqual(['datasets/pbmc3k'])
    // The same URL in a new tab is the same search.
    const shared = await signedIn(browser, stack.url, stack.token('alice'))
    await shared.goto(page.url())
    await shared.getByTestId('search-result-row').first().waitFor()
    expect(await rowKeys(shared)).toEqual(['datasets/pbmc3k'])
    await page.goto(`${stack.url}/?organism=NCBITaxon:0000`)
    await page.getByText('No assets match — remove a filter').waitFor()
  })
})

describe('an asset version’s page', () => {
  it('shows its versions, validation summary and provenance, and downloads through the session cookie', async () => {
    const page = await signedIn(browser, stack.url, stack.token('alice'))
    await page.goto(`${stack.url}/a/datasets/pbmc3k`)
    const versions = page.getByTestId('versions-table')
    await versions.waitFor()
    expect(await versions.locator('tbody tr').count()).toBe(2)
    await expect(page.getByTestId('dataset-summary').textContent()).resolves.toContain('2,638 cells × 13,714 genes')
    expect(await page.getByRole('link', { name: '10.1038/ncomms14049' }).getAttribute('href')).toBe('https://doi.org/10.1038/ncomms14049')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()])
    expect(await readFile(await download.path(), 'utf8')).toBe(CONTENT)
  })

  it('shows the server’s refusal to a reader who may not move a tag, and hides the audit trail', async () => {
    const bob = await signedIn(browser, stack.url, stack.token('bob'))
    await bob.goto(`${stack.url}/a/datasets/pbmc3k`)
    await bob.getByText('The audit trail is shown to this asset’s admins only.').waitFor()
    await bob.getByLabel(/Point a tag at/).fill('mine')
    await bob.getByRole('button', { name: 'Move tag here' }).click()
    await expect(bob.getByRole('alert').filter({ hasText: 'The tag was not moved' }).textContent()).resolves.toContain('ACCESS_DENIED')
    // What bob may not read answers as missing.
    const alice = await signedIn(browser, stack.url, stack.token('alice'))
    await alice.goto(`${stack.url}/a/datasets/bob-private`)
    await expect(alice.getByRole('alert').textContent()).resolves.toContain('ASSET_NOT_FOUND')
  })

  it('lists for a model the datasets it fits, by the server’s checker', async () => {
    const page = await signedIn(browser, stack.url, stack.token('alice'))
    await page.goto(`${stack.url}/a/models/scvi`)
    const table = page.getByTestId('compat-table')
    await table.waitFor()
    await expect(table.getByRole('row', { name: /datasets\/pbmc3k@1\.1\.0/ }).textContent()).resolves.toContain('compatible')
    await expect(table.getByRole('row', { name: /datasets\/mouse-brain@1\.0\.0/ }).textContent()).resolves.toContain('incompatible')
  })
})

describe('lineage', () => {
  it('draws the versions around one and opens a version’s page from its node', async () => {
    const page = await signedIn(browser, stack.url, stack.token('alice'))
    await page.goto(`${stack.url}/lineage/datasets/pbmc3k?v=1.1.0&depth=2&direction=both`)
    const graph = page.getByTestId('lineage-graph')
    await graph.locator('.react-flow__node').first().waitFor()
    expect((await graph.locator('.react-flow__node').allInnerTexts()).map((t) => t.replace(/\s+/g, ''))).toEqual(
      expect.arrayContaining(['datasets/pbmc3k@1.0.0', 'datasets/pbmc3k@1.1.0', 'models/scvi@1.0.0', 'outputs/scvi-eval@1.0.0']),
    )
    await graph.locator('.react-flow__node', { hasText: 'models/scvi' }).click()
    await page.waitForURL(/\/a\/models\/scvi\?v=1\.0\.0$/)
    await page.getByTestId('versions-table').waitFor()
  })
})

describe('sign-in', () => {
  it('sends a tab whose token was revoked back to sign-in with the server’s reason', async () => {
    const page = await signedIn(browser, stack.url, stack.token('bob'))
    // The search page's request answers first: one still in flight at the revoke would sign this
    // document out (forgetting the token) before the reload, which would then find no token to be refused.
    await page.getByTestId('search-result-row').first().waitFor()
    await stack.revoke('bob')
    await page.goto(`${stack.url}/a/datasets/pbmc3k`)
    await page.waitForURL(/\/sign-in$/)
    await expect(page.getByRole('alert').textContent()).resolves.toContain('The server refused the token')
    expect(await page.evaluate(() => sessionStorage.getItem('assets.token'))).toBeNull()
  })
})
