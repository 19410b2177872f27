import { describe, expect, test } from 'bun:test'
import { verifyClickId } from '../../src/shared/click-id.ts'
import { startTestServer, testConfig } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { clickCount, seedLinks } from '../helpers/links.ts'

const { store, url } = await createTestDb()
await seedLinks(store, 50)
const { rt, base } = await startTestServer(store, url, { PUBLIC_BASE_URL: 'https://go.example' })
const keys = testConfig(url).secrets.clickIdKeys

const go = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init })

/** Waits for the flusher to have stored everything served so far. */
async function drained() {
  while (rt.redirect.buffer.size > 0) await rt.redirect.flusher.flushNow()
  await rt.redirect.flusher.flushNow()
}

describe('GET /l/:slug', () => {
  test('302 to the destination with a verifiable click id, cookie and no-store', async () => {
    const res = await go('/l/glow-serum?utm_source=ig&gclid=abc&evil=%0d%0a', {
      headers: {
        'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1',
        referer: 'https://instagram.com/',
      },
    })
    expect(res.status).toBe(302)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const location = new URL(res.headers.get('location') ?? '')
    expect(location.origin + location.pathname).toBe('https://glowlabs.example/products/vitamin-c-serum')
    const token = location.searchParams.get('sk_cid') ?? ''
    const verified = verifyClickId(token, keys)
    expect(verified.ok).toBe(true)
    expect(location.searchParams.get('utm_campaign')).toBe('summer-glow')
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toBe(`sk_click=${token}; Max-Age=${7 * 86400}; Path=/; HttpOnly; SameSite=Lax; Secure`)

    await drained()
    if (!verified.ok) throw new Error('unreachable')
    const [row] = await store.query<Record<string, unknown>>('select * from clicks where id = $1', [
      verified.value.clickId,
    ])
    expect(row).toMatchObject({
      slug: 'glow-serum',
      browser: 'Safari',
      os: 'iOS',
      device: 'mobile',
      referrer: 'https://instagram.com/',
      landing_params: { utm_source: 'ig', gclid: 'abc' },
      is_bot: false,
      is_head: false,
      bot_score: 0,
      click_id_kid: 't1',
    })
    expect(row?.ip_hash).toMatch(/^[0-9a-f]{32}$/)
    expect(JSON.stringify(row)).not.toContain('127.0.0.1')
  })

  test('keeps the destination fragment after the click id and existing query strings', async () => {
    const res = await go('/l/ld7')
    const loc = res.headers.get('location') ?? ''
    expect(loc).toMatch(/^https:\/\/shop\.example\/p\/7\?ref=x&sub_id=ava&sk_cid=[\w-]+\.t1\.[\w-]+#top$/)
  })

  test('HEAD answers 302 without a body and records a flagged click; bots are scored, not blocked', async () => {
    const before = await clickCount(store, 'is_head')
    const head = await go('/l/ld1', { method: 'HEAD' })
    expect(head.status).toBe(302)
    expect(await head.text()).toBe('')
    const bot = await go('/l/ld2', {
      headers: { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' },
    })
    expect(bot.status).toBe(302)
    const pre = await go('/l/ld3', { headers: { 'sec-purpose': 'prefetch' } })
    expect(pre.status).toBe(302)
    await drained()
    expect(await clickCount(store, 'is_head')).toBe(before + 1)
    expect(await clickCount(store, `slug = 'ld2' and is_bot and bot_score >= 90`)).toBe(1)
    expect(await clickCount(store, `slug = 'ld3' and is_prefetch`)).toBe(1)
  })

  test('unknown → 404 (HTML for browsers, JSON otherwise); inactive → 404; expired → 410', async () => {
    const json = await go('/l/nope-nope')
    expect(json.status).toBe(404)
    expect(await json.json()).toMatchObject({ error: { code: 'link_not_found' } })
    const html = await go('/l/nope-nope', { headers: { accept: 'text/html' } })
    expect(html.headers.get('content-type')).toContain('text/html')
    expect(await html.text()).toContain('Link not found')
    await store.query(`update tracking_links set active = false where slug = 'ld4'`)
    await store.query(`update tracking_links set expires_at = now() - interval '1 minute' where slug = 'ld5'`)
    await waitFor(async () => (await go('/l/ld4')).status === 404)
    await waitFor(async () => (await go('/l/ld5')).status === 410)
    expect(await (await go('/l/ld5')).json()).toMatchObject({ error: { code: 'link_expired' } })
  })

  test('/c/:creator/:campaign/:asset resolves to the same kind of redirect', async () => {
    const res = await go('/c/ava/summer-glow/yt-desc')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toStartWith('https://glowlabs.example/products/daily-spf-50?')
    expect((await go('/c/ava/summer-glow/none-such')).status).toBe(404)
    expect((await go('/c/AVA/summer-glow/yt-desc')).status).toBe(302)
  })

  test('misses for one slug are coalesced; unknown slugs are remembered', async () => {
    rt.redirect.cache.clear()
    const s = rt.redirect.cache.stats
    const queriesBefore = s.misses
    const burst = await Promise.all(Array.from({ length: 50 }, () => go('/l/ld9')))
    expect(burst.every((r) => r.status === 302)).toBe(true)
    const hitsBefore = s.hits
    await go('/l/ld9')
    expect(s.hits).toBe(hitsBefore + 1)
    const negBefore = s.negativeHits
    for (let i = 0; i < 20; i++) expect((await go('/l/unknown-slug-x')).status).toBe(404)
    expect(s.negativeHits - negBefore).toBeGreaterThanOrEqual(19)
    expect(s.misses - queriesBefore).toBeLessThanOrEqual(51)
  })

  test('a change committed in Postgres reaches the cache through NOTIFY', async () => {
    expect((await go('/l/ld8')).status).toBe(302)
    await store.query(
      `update tracking_links set destination_url = 'https://new.example/landing' where slug = 'ld8'`,
    )
    await waitFor(async () =>
      ((await go('/l/ld8')).headers.get('location') ?? '').startsWith('https://new.example/landing?'),
    )
    // A slug that did not exist is remembered as unknown until it is created.
    expect((await go('/l/brand-new')).status).toBe(404)
    await store.query(
      `insert into tracking_links (slug, program_id, influencer_id, destination_url)
       select 'brand-new', program_id, influencer_id, 'https://shop.example/new' from tracking_links where slug = 'ld0'`,
    )
    await waitFor(async () => (await go('/l/brand-new')).status === 302)
  })

  test('every 302 served is a row stored, under concurrent load', async () => {
    await drained()
    const before = await clickCount(store)
    let served = 0
    const slugs = Array.from({ length: 50 }, (_, i) => `/l/ld${i}`).filter((s) => !/ld[45]$/.test(s))
    await Promise.all(
      Array.from({ length: 32 }, async (_, w) => {
        for (let i = 0; i < 60; i++) {
          const r = await go(slugs[(w * 60 + i) % slugs.length] ?? '')
          if (r.status === 302) served++
        }
      }),
    )
    await drained()
    expect(served).toBe(32 * 60)
    expect((await clickCount(store)) - before).toBe(served)
  })
})

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await Bun.sleep(5)
  }
}

test('slugs match whatever the case the shopper typed', async () => {
  expect((await go('/l/GLOW-Serum')).status).toBe(302)
})

test('/metrics reports redirect outcomes and the flusher', async () => {
  await go('/l/ld11')
  await go('/l/missing-one')
  await drained()
  const text = await (await fetch(`${base}/metrics`)).text()
  expect(Number(/redirects_total\{outcome="redirected"\} (\d+)/.exec(text)?.[1])).toBeGreaterThan(0)
  expect(Number(/redirects_total\{outcome="not_found"\} (\d+)/.exec(text)?.[1])).toBeGreaterThan(0)
  expect(Number(/clicks_rows_total\{fate="flushed"\} (\d+)/.exec(text)?.[1])).toBeGreaterThan(0)
  expect(text).toMatch(/click_buffer_depth \d+/)
})
