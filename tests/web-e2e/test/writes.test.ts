import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { api } from './fixtures/api.js'
import { CatalogueBrowser } from './fixtures/catalogue-browser.js'

const catalogue = inject('catalogue')
const [first, second] = catalogue.versions['datasets/pbmc3k'] ?? []
let alice: CatalogueBrowser
let admin: CatalogueBrowser
let page: Page

beforeAll(async () => {
  alice = await CatalogueBrowser.open(catalogue.url)
  admin = await CatalogueBrowser.open(catalogue.url)
  page = await alice.signedIn(catalogue.tokens.alice)
})
afterAll(async () => {
  await alice?.close()
  await admin?.close()
})

describe('changes made on an asset page', () => {
  it('an annotation alice adds appears on the page and through the API', async () => {
    const text = `QC checked in the browser ${Date.now()}`
    await page.goto(`${catalogue.url}/a/datasets/pbmc3k?v=${first}`)
    const section = page.getByRole('region', { name: 'Annotations' })
    await section.getByText('No annotations yet.').or(section.getByRole('listitem').first()).waitFor()
    await section.getByLabel(`Add an annotation to version ${first}`).fill(text)
    await section.getByRole('button', { name: 'Add annotation' }).click()
    const item = section.getByRole('listitem').filter({ hasText: text })
    await item.waitFor()
    await expect(item.textContent()).resolves.toContain(first)

    const { status, body } = await api('bob', '/v1/annotations/datasets/pbmc3k')
    expect(status).toBe(200)
    const saved = (body as Array<{ text: string; version: string; user: string }>).filter((a) => a.text === text)
    expect(saved).toHaveLength(1)
    expect(saved[0]).toMatchObject({ version: first })
    expect(saved[0]?.user).toMatch(/^(user:)?alice$/)
    // A reload shows it still: it came from the server, not from the form.
    await page.reload()
    await page.getByRole('region', { name: 'Annotations' }).getByText(text).waitFor()
  })

  it('alice points a new tag at one version, then moves it to another', async () => {
    const tag = `candidate-${Date.now().toString(36)}`
    const point = async (version: string) => {
      await page.goto(`${catalogue.url}/a/datasets/pbmc3k?v=${version}`)
      const section = page.getByRole('region', { name: 'Tags' })
      await section.getByLabel(`Point a tag at ${version}`).fill(tag)
      await section.getByRole('button', { name: 'Move tag here' }).click()
      // The page reloads its data and remounts, so its "now points at" note may be gone already: the versions
      // table then shows the tag on that version's row, and the tags table names the version.
      await page.getByTestId('versions-table').locator('tbody tr', { has: page.getByRole('link', { name: version, exact: true }) }).locator('.tag', { hasText: tag }).waitFor()
      await page.getByRole('region', { name: 'Tags' }).locator('tr', { has: page.locator('th', { hasText: tag }) }).getByRole('link', { name: version, exact: true }).waitFor()
      const { body } = await api('admin', '/v1/tags/datasets/pbmc3k')
      return (body as Record<string, string>)[tag]
    }
    expect(await point(first ?? '')).toBe(first)
    expect(await point(second ?? '')).toBe(second)
    const rowOf = (version: string) => page.getByTestId('versions-table').locator('tbody tr', { has: page.getByRole('link', { name: version, exact: true }) })
    expect(await rowOf(first ?? '').locator('.tag', { hasText: tag }).count()).toBe(0)
  })

  it('an admin edits an ACL: bob loses read, then gets it back, as the API says', async () => {
    const adminPage = await admin.signedIn(catalogue.tokens.admin)
    const KEY = 'datasets/embargoed'
    expect((await api('bob', `/v1/info/${KEY}`)).status).toBe(200)
    const before = ((await api('admin', `/v1/info/${KEY}`)).body as { accessControl: Record<string, unknown> }).accessControl
    const setRead = async (principals: string, shown: string) => {
      await adminPage.goto(`${catalogue.url}/a/${KEY}`)
      const section = adminPage.getByRole('region', { name: 'Access' })
      await section.getByText('Change access (admins of this asset)').click()
      await section.getByLabel('May read').fill(principals)
      await section.getByRole('button', { name: 'Save access' }).click()
      // Saved, the page reloads the version and shows its new ACL; refused, the form says why.
      const readers = section.locator('dt', { hasText: /^Read$/ }).locator('xpath=following-sibling::dd[1]').getByText(shown, { exact: true })
      await readers.or(section.getByRole('alert')).first().waitFor()
      expect(await readers.isVisible(), await section.getByRole('alert').allTextContents().then(String)).toBe(true)
    }
    try {
      await setRead('user:alice', 'user:alice')
      expect((await api('bob', `/v1/info/${KEY}`)).status).toBe(404)
      expect((await api('alice', `/v1/info/${KEY}`)).status).toBe(200)
      const acl = (await api('admin', `/v1/info/${KEY}`)).body as { accessControl: { read: string[] } }
      expect(acl.accessControl.read).toEqual(['user:alice'])

      await setRead('*', '*')
      expect((await api('bob', `/v1/info/${KEY}`)).status).toBe(200)
    } finally {
      // The other test files find the asset as it was, whatever failed here.
      await api('admin', `/v1/acl/${KEY}`, { method: 'PUT', body: { accessControl: before } })
    }
  })

  it('bob, a reader, is refused a tag by the server and the page says so', async () => {
    const bob = await CatalogueBrowser.open(catalogue.url)
    try {
      const bobPage = await bob.signedIn(catalogue.tokens.bob, `/a/datasets/pbmc3k?v=${first}`)
      const section = bobPage.getByRole('region', { name: 'Tags' })
      await section.getByLabel(`Point a tag at ${first}`).fill('bobs-tag')
      await section.getByRole('button', { name: 'Move tag here' }).click()
      await expect(section.getByRole('alert').textContent()).resolves.toContain('ACCESS_DENIED')
      const { body } = await api('admin', '/v1/tags/datasets/pbmc3k')
      expect(body).not.toHaveProperty('bobs-tag')
    } finally {
      await bob.close()
    }
  })
})
