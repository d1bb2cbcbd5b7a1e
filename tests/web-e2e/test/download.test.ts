import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CatalogueBrowser } from './fixtures/catalogue-browser.js'

const catalogue = inject('catalogue')
let browser: CatalogueBrowser

beforeAll(async () => {
  browser = await CatalogueBrowser.open(catalogue.url)
})
afterAll(() => browser?.close())

describe('the download link', () => {
  it('downloads the version’s exact bytes under its file name, authorised by the session cookie alone', async () => {
    const page = await browser.signedIn(catalogue.tokens.alice, '/a/datasets/pbmc3k')
    const link = page.getByRole('link', { name: 'Download', exact: true })
    const href = (await link.getAttribute('href')) ?? ''
    expect(href).toMatch(/^\/v1\/content\/datasets\/pbmc3k\?/)

    // The link carries no token: the browser sends the HttpOnly cookie the sign-in set, and only to /v1/content/.
    const cookies = await browser.context.cookies(`${catalogue.url}/v1/content/datasets/pbmc3k`)
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, path: c.path, sameSite: c.sameSite }))).toEqual([
      { name: 'assets_session', httpOnly: true, path: '/v1/content/', sameSite: 'Strict' },
    ])
    expect(await browser.context.cookies(catalogue.url)).toEqual([])
    expect(await page.evaluate(() => document.cookie)).toBe('')

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    expect(download.suggestedFilename()).toBe(catalogue.pbmc3kLatest.fileName)
    const bytes = await readFile(await download.path())
    expect(bytes.length).toBe(catalogue.pbmc3kLatest.size)
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(catalogue.pbmc3kLatest.sha256)

    // Without the cookie the same link is refused.
    expect((await fetch(`${catalogue.url}${href}`)).status).toBe(401)
  })

  it('stops working once the person signs out', async () => {
    const page = await browser.signedIn(catalogue.tokens.alice, '/a/datasets/pbmc3k')
    const href = (await page.getByRole('link', { name: 'Download', exact: true }).getAttribute('href')) ?? ''
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await expect.poll(async () => (await browser.context.cookies()).length).toBe(0)
    expect(await page.evaluate(async (path) => (await fetch(path)).status, href)).toBe(401)
  })
})
