import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CatalogueBrowser, screenshot } from './fixtures/catalogue-browser.js'
import { lineageGraph } from './fixtures/lineage-graph.js'

const catalogue = inject('catalogue')
const v = (key: string, i = 0) => `${key}@${catalogue.versions[key]?.[i]}`
const dataset = v('datasets/pbmc3k')
const model = v('models/scvi')
const output = v('outputs/run-1')
const secret = v('datasets/secret-zebrafish')
let browser: CatalogueBrowser
let page: Page

beforeAll(async () => {
  browser = await CatalogueBrowser.open(catalogue.url)
  page = await browser.signedIn(catalogue.tokens.alice)
})
afterAll(() => browser?.close())

describe('the lineage page', () => {
  it('draws the output with what it was derived from, each edge labelled with its relation', async () => {
    await page.goto(`${catalogue.url}/a/outputs/run-1`)
    await page.getByRole('link', { name: 'Lineage', exact: true }).click()
    await page.waitForURL((url) => url.pathname === '/lineage/outputs/run-1')
    const drawn = await lineageGraph(page, { nodes: 4, edges: 3 })
    expect(drawn.nodes.sort()).toEqual([dataset, secret, model, output].sort())
    // Arrows run from what a version came from to the version made from it.
    expect(drawn.edges.sort()).toEqual([`${dataset} derived_from ${output}`, `${model} derived_from ${output}`, `${secret} derived_from ${output}`].sort())
    await expect(page.getByRole('status').filter({ hasText: 'versions' }).textContent()).resolves.toMatch(/^4 versions, 3 edges\b/)
    // The root is marked for screen readers, the others named with their kind.
    const graph = page.getByTestId('lineage-graph')
    await graph.getByRole('link', { name: /^outputs\/run-1\b.*\boutput\b.*the version asked about/ }).waitFor()
    await graph.getByRole('link', { name: /^models\/scvi\b.*\bmodel\b/ }).waitFor()
    // The overview comes once the graph is drawn: one mark per version.
    await expect.poll(() => graph.locator('.react-flow__minimap .react-flow__minimap-node').count(), { timeout: 20_000 }).toBe(4)
    await screenshot(page, 'lineage')
  })

  it('goes to a version’s page when its node is clicked', async () => {
    await page.goto(`${catalogue.url}/lineage/outputs/run-1?depth=2&direction=both`)
    await lineageGraph(page, { nodes: 4, edges: 3 })
    const [key, version] = model.split('@') as [string, string]
    await page.locator(`.react-flow__node[data-id="${model}"]`).click()
    await page.waitForURL((url) => url.pathname === `/a/${key}` && url.searchParams.get('v') === version)
    // The URL changes before the version's page replaces the lineage page's heading: wait for the new one.
    await page.getByRole('heading', { level: 1, name: `${key} @${version}`, exact: true }).waitFor()
  })

  it('follows the direction asked: down from the output, where nothing came from it', async () => {
    const [key, version] = output.split('@') as [string, string]
    await page.goto(`${catalogue.url}/lineage/${key}?v=${version}&depth=1&direction=both`)
    await lineageGraph(page, { nodes: 4, edges: 3 })
    await page.getByLabel('Direction', { exact: true }).selectOption('down')
    await page.getByRole('button', { name: 'Show' }).click()
    await page.waitForURL((url) => url.searchParams.get('direction') === 'down')
    // Both ways it had what it came from; downwards it stands alone.
    await page.getByRole('status').filter({ hasText: /^1 version, 0 edges/ }).waitFor()
    const graph = await lineageGraph(page, { nodes: 1, edges: 0 })
    expect(graph.nodes).toEqual([output])
    expect(graph.edges).toEqual([])
  })
})
