import AxeBuilder from '@axe-core/playwright'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CatalogueBrowser } from './fixtures/catalogue-browser.js'
import { lineageGraph } from './fixtures/lineage-graph.js'

const catalogue = inject('catalogue')
let browser: CatalogueBrowser
let page: Page

beforeAll(async () => {
  browser = await CatalogueBrowser.open(catalogue.url)
  page = await browser.signedIn(catalogue.tokens.alice)
})
afterAll(() => browser?.close())

/** axe-core on the page as it stands: every violation is printed; serious and critical ones fail. */
async function seriousViolations(name: string): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze()
  for (const v of violations) {
    console.log(`${name}: [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replaceAll('\n', ' ')}`).join('\n')}`)
  }
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length} elements)`)
}

describe('accessibility (axe-core): no serious or critical violations', () => {
  it('on the search page with results and filters', async () => {
    await page.goto(`${catalogue.url}/?kind=dataset&organism=human`)
    await page.getByTestId('search-result-row').first().waitFor()
    expect(await seriousViolations('search page')).toEqual([])
  })

  it('on a dataset’s page', async () => {
    await page.goto(`${catalogue.url}/a/datasets/pbmc3k`)
    await page.getByTestId('versions-table').waitFor()
    await page.getByRole('region', { name: 'Annotations' }).getByText('Add an annotation').waitFor()
    expect(await seriousViolations('asset page')).toEqual([])
  })

  it('on the lineage page', async () => {
    await page.goto(`${catalogue.url}/lineage/outputs/run-1?depth=2&direction=both`)
    await lineageGraph(page, { nodes: 4, edges: 3 })
    expect(await seriousViolations('lineage page')).toEqual([])
  })
})
