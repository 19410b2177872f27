import { afterAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { influencers, programMemberships, trackingLinks } from '../../src/db/schema/index.ts'
import { startTestServer } from '../helpers/app.ts'
import { ARTIFACTS, browserAvailable, launchBrowser } from '../helpers/browser.ts'
import { issueKey } from '../helpers/keys.ts'
import { settleFixture } from '../helpers/settle.ts'

const run = browserAvailable()
const fx = await settleFixture()
const { rt, base } = await startTestServer(fx.store, fx.url)
// A second creator on the same program, whose numbers ava must never see.
const [zoe] = await fx.store.db
  .insert(influencers)
  .values({
    orgId: (await fx.store.query<{ org_id: string }>('select org_id from influencers limit 1'))[0]!.org_id,
    handle: 'zoe',
    displayName: 'Zoe',
    currency: 'USD',
  })
  .returning()
await fx.store.db.insert(programMemberships).values({ programId: fx.programId, influencerId: zoe!.id })
await fx.store.db.insert(trackingLinks).values({
  slug: 'zoe-secret',
  programId: fx.programId,
  influencerId: zoe!.id,
  destinationUrl: 'https://glowlabs.example/z',
})
const ava = await issueKey(rt.app, { influencerId: fx.influencerId })
const zoeKey = await issueKey(rt.app, { influencerId: zoe!.id })

// Page functions are functions, not strings (the dashboard's CSP forbids eval), and are serialised: no closures.
const follow = (slug: string) => fetch(`${base}/l/${slug}`, { redirect: 'manual' })
async function drained() {
  while (rt.redirect.buffer.size > 0) await rt.redirect.flusher.flushNow()
  await rt.redirect.flusher.flushNow()
}
// History for the cards, chart and tables: ava's clicks and two approved sales, and a few of zoe's clicks.
for (let i = 0; i < 5; i++) await follow('glow-serum')
for (let i = 0; i < 3; i++) await follow('zoe-secret')
await drained()
await fx.approvedSales(2, 'dash')

let browser: Browser | undefined
afterAll(async () => browser?.close())

async function signIn(page: Page, key: string) {
  const external: string[] = []
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith(base.replace('http', 'ws'))) external.push(r.url())
  })
  await page.goto(`${base}/dashboard`)
  await page.fill('#key', key)
  await page.click('button[type=submit]')
  await page.waitForSelector('[data-testid=feed-state]:text("live")', { timeout: 5_000 })
  await page.waitForFunction(
    () => (globalThis as any).document.querySelector('#chart canvas') !== null,
    undefined,
    {
      timeout: 5_000,
    },
  )
  return external
}

// The cards and the top-links table come from separate requests: the table may render after the cards.
// A miss falls through to the assertion that follows, which names what the table held.
async function topLinksShow(page: Page, text: string) {
  await page
    .waitForFunction(
      (t) => (globalThis as any).document.querySelector('[data-testid=top-links]')?.textContent?.includes(t),
      text,
      { timeout: 5_000 },
    )
    .catch(() => {})
}

describe.skipIf(!run)('dashboard in a real browser (Debian chromium)', () => {
  test('loads from this server alone, shows the influencer their own numbers and chart, and streams a redirect within 1 s', async () => {
    browser = await launchBrowser()
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    const external = await signIn(page, ava.key)
    expect(external).toEqual([])
    expect(await page.textContent('[data-testid=who]')).toBe(`Influencer ${fx.influencerId.slice(0, 8)}`)
    // Ava's five clicks, not zoe's three.
    await page.waitForFunction(
      () => (globalThis as any).document.getElementById('m-clicks')?.textContent === '5',
      undefined,
      {
        timeout: 5_000,
      },
    )
    expect(await page.textContent('#m-conversions')).toBe('2')
    expect(Number(await page.getAttribute('#chart', 'data-points'))).toBeGreaterThan(0)
    await topLinksShow(page, '/l/glow-serum')
    const links = await page.textContent('[data-testid=top-links]')
    expect(links).toContain('/l/glow-serum')
    expect(links).not.toContain('zoe-secret')

    const t0 = performance.now()
    expect((await follow('glow-spf')).status).toBe(302)
    await page.waitForSelector('#feed li:has-text("/l/glow-spf")', { timeout: 1_000 })
    console.log(`redirect → live feed in the browser: ${(performance.now() - t0).toFixed(0)} ms`)
    // Zoe's click, then ava's: once ava's shows, zoe's would have too had it been sent.
    await follow('zoe-secret')
    await follow('glow-toner')
    await page.waitForSelector('#feed li:has-text("/l/glow-toner")', { timeout: 2_000 })
    expect(await page.textContent('#feed')).not.toContain('zoe-secret')
    // A sale settled (by another runtime on the same database) reaches the page through NOTIFY and the hub.
    await fx.approvedSales(1, 'live')
    await page.waitForSelector('#feed li:has-text("order live-1")', { timeout: 2_000 })
    expect(await page.textContent('#feed')).toContain('$100.00')
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-laptop.png'), fullPage: true })

    await page.setViewportSize({ width: 390, height: 844 })
    await page.waitForTimeout(100)
    const overflow = await page.evaluate(() => {
      const w = globalThis as any
      return w.document.documentElement.scrollWidth - w.innerWidth
    })
    expect(overflow).toBeLessThanOrEqual(0)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  }, 60_000)

  test("another influencer's key shows only their own data", async () => {
    browser ??= await launchBrowser()
    const page = await browser.newPage()
    await signIn(page, zoeKey.key)
    await page.waitForFunction(
      () => Number((globalThis as any).document.getElementById('m-clicks')?.textContent) >= 3,
      undefined,
      {
        timeout: 5_000,
      },
    )
    expect(await page.textContent('#m-conversions')).toBe('0')
    await topLinksShow(page, '/l/zoe-secret')
    const links = await page.textContent('[data-testid=top-links]')
    expect(links).toContain('/l/zoe-secret')
    expect(links).not.toContain('glow-serum')
    await page.close()
  }, 60_000)

  test('a refused key returns to the sign-in form with the reason', async () => {
    browser ??= await launchBrowser()
    const page = await browser.newPage()
    await page.goto(`${base}/dashboard`)
    await page.fill('#key', 'sk_live_nope')
    await page.click('button[type=submit]')
    await page.waitForSelector('#login:not([hidden])', { timeout: 5_000 })
    expect(await page.textContent('#login-error')).toContain('refused')
    await page.close()
  }, 30_000)
})
