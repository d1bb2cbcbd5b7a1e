import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CatalogueBrowser, screenshot } from './fixtures/catalogue-browser.js'

const catalogue = inject('catalogue')
let browser: CatalogueBrowser
let page: Page

beforeAll(async () => {
  browser = await CatalogueBrowser.open(catalogue.url, { width: 390, height: 844 })
  page = await browser.signedIn(catalogue.tokens.alice)
})
afterAll(() => browser?.close())

/** How far the page body scrolls sideways: wide tables may scroll inside their own box, the page must not. */
const overflow = () => page.evaluate(() => ({ scrollWidth: document.scrollingElement?.scrollWidth ?? Number.POSITIVE_INFINITY, innerWidth: window.innerWidth }))

describe('at a phone’s width (390 × 844)', () => {
  it('the search page shows its results without scrolling the page sideways', async () => {
    await page.goto(`${catalogue.url}/?q=pbmc`)
    const row = page.getByTestId('search-result-row').filter({ hasText: 'datasets/pbmc3k' })
    await row.waitFor()
    const box = await row.getByRole('link', { name: 'datasets/pbmc3k', exact: true }).boundingBox()
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true)
    const { scrollWidth, innerWidth } = await overflow()
    expect(innerWidth).toBe(390)
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth + 1)
    await screenshot(page, 'phone-search')
  })

  it('the asset page shows its versions without scrolling the page sideways', async () => {
    await page.goto(`${catalogue.url}/a/datasets/pbmc3k`)
    const versions = page.getByTestId('versions-table')
    await versions.waitFor()
    for (const version of catalogue.versions['datasets/pbmc3k'] ?? []) {
      const link = versions.getByRole('link', { name: version, exact: true })
      await link.waitFor()
      const box = await link.boundingBox()
      expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true)
    }
    const { scrollWidth, innerWidth } = await overflow()
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth + 1)
    await screenshot(page, 'phone-asset')
  })
})
