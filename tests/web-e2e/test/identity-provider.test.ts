import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
// The OpenID provider the server's own sign-in tests run (panva's oidc-provider on loopback).
import { CLIENT_ID, startIdentityProvider, type TestIdentityProvider } from '../../../apps/server/test/fixtures/identity-provider.js'
import { CatalogueBrowser, screenshot } from './fixtures/catalogue-browser.js'
import { serveAgain } from './fixtures/catalogue-stack.js'

const catalogue = inject('catalogue')
let idp: TestIdentityProvider
let server: { url: string; stop: () => Promise<void> }
let browser: CatalogueBrowser

beforeAll(async () => {
  idp = await startIdentityProvider()
  // `assets serve` over the same stack, accepting the provider's tokens and signing the web catalogue in through it.
  server = await serveAgain(catalogue, ['--jwks-url', idp.jwksUrl, '--jwt-issuer', idp.issuer, '--jwt-audience', CLIENT_ID, '--oidc-client-id', CLIENT_ID, '--oidc-scope', 'openid groups'])
  idp.open([`${server.url}/sign-in/callback`])
  browser = await CatalogueBrowser.open(server.url)
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await idp?.close()
})

describe('signing in through the identity provider', () => {
  it('goes to the provider, comes back signed in as that person, and sees what they may read', async () => {
    const page = await browser.context.newPage()
    // Straight to a page that needs sign-in: after the provider, the tab comes back to it.
    await page.goto(`${server.url}/a/datasets/pbmc3k`)
    const button = page.getByRole('button', { name: `Sign in with ${new URL(idp.issuer).host}` })
    await button.waitFor()
    await screenshot(page, 'sign-in-with-provider')
    await button.click()

    // The provider's own pages: its login form, then its consent form.
    await page.waitForURL((url) => url.origin === idp.issuer)
    await page.locator('input[name="login"]').fill('alice')
    await page.locator('input[name="password"]').fill('any password')
    await page.getByRole('button', { name: 'Sign-in' }).click()
    await page.getByRole('button', { name: 'Continue' }).click()

    await page.waitForURL(`${server.url}/a/datasets/pbmc3k`)
    await page.getByText('Signed in as').waitFor()
    expect(await page.locator('.who strong').textContent()).toBe('alice')
    // The code and state are not left in the address bar; the tab holds the provider's ID token.
    expect(new URL(page.url()).search).toBe('')
    const token = await page.evaluate(() => sessionStorage.getItem('assets.token'))
    const claims = JSON.parse(Buffer.from((token ?? '').split('.')[1] ?? '', 'base64url').toString()) as { iss: string; aud: string; sub: string }
    expect(claims).toMatchObject({ iss: idp.issuer, aud: CLIENT_ID, sub: 'alice' })
    await page.getByRole('heading', { name: /datasets\/pbmc3k/ }).waitFor()

    // alice's private dataset is hers to read through this sign-in too; bob's sign-in would not show it.
    await page.goto(`${server.url}/a/datasets/secret-zebrafish`)
    await page.getByRole('heading', { name: /datasets\/secret-zebrafish/ }).waitFor()
    await page.close()
  })

  it('refuses an answer that is not for the sign-in this tab started, and shows none of its words', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/sign-in/callback?code=stolen&state=not-mine`)
    await page.getByRole('heading', { name: 'Not signed in' }).waitFor()
    expect(await page.getByRole('alert').textContent()).toMatch(/did not start a sign-in/)

    // A tab that did start one, at the provider's login page, sent a code of someone else's
    // sign-in (login CSRF: the attacker's account in the victim's tab), or made-up wording.
    const other = await CatalogueBrowser.open(server.url)
    const victim = await other.context.newPage()
    await victim.goto(`${server.url}/sign-in`)
    await victim.getByRole('button', { name: /^Sign in with / }).click()
    await victim.locator('input[name="login"]').waitFor()
    await victim.goto(`${server.url}/sign-in/callback?error=access_denied&error_description=Your+account+is+locked.+Call+0800+123&state=forged`)
    await victim.getByRole('heading', { name: 'Not signed in' }).waitFor()
    const shown = await victim.getByRole('alert').textContent()
    expect(shown).toMatch(/not for the sign-in this tab started/)
    expect(shown).not.toMatch(/locked|0800/)
    expect(await victim.evaluate(() => sessionStorage.getItem('assets.token'))).toBeNull()
    await other.close()
    await page.close()
  })

  it('signs another tab in without the provider’s pages while the provider remembers the person', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/sign-in`)
    await page.getByRole('button', { name: /^Sign in with / }).click()
    await page.getByRole('heading', { name: 'Search assets' }).waitFor()
    expect(await page.locator('.who strong').textContent()).toBe('alice')
    await page.close()
  })

  it('after a sign-out, asks the provider to show its login page again', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/sign-in`)
    await page.getByRole('button', { name: /^Sign in with / }).click()
    await page.getByText('Signed in as').waitFor()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: /^Sign in with / }).click()
    // The provider still knows alice, but it is asked who signs in now: bob, at the same machine.
    await page.locator('input[name="login"]').fill('bob')
    await page.locator('input[name="password"]').fill('any password')
    await page.getByRole('button', { name: 'Sign-in' }).click()
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByRole('heading', { name: 'Search assets' }).waitFor()
    expect(await page.locator('.who strong').textContent()).toBe('bob')
    await page.goto(`${server.url}/a/datasets/secret-zebrafish`)
    await page.getByRole('alert').waitFor()
    expect(await page.getByRole('alert').textContent()).toMatch(/ASSET_NOT_FOUND/)
    await page.close()
  })

  it('shows the provider’s refusal when the person declines', async () => {
    // Another person's browser: the provider has no session for it, so it shows its login page.
    const other = await CatalogueBrowser.open(server.url)
    const page = await other.context.newPage()
    await page.goto(`${server.url}/sign-in`)
    await page.getByRole('button', { name: /^Sign in with / }).click()
    await page.waitForURL((url) => url.origin === idp.issuer)
    // The provider's login page links to "abort": the person goes back without signing in.
    await page.getByRole('link', { name: /Cancel|abort/i }).click()
    await page.getByRole('heading', { name: 'Not signed in' }).waitFor()
    expect(await page.getByRole('alert').textContent()).toMatch(/did not sign you in/)
    await screenshot(page, 'sign-in-declined')
    await other.close()
  })
})
