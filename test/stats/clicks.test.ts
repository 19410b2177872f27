import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import postgres from 'postgres'
import { encodeCopyRows } from '../../src/db/copy-format.ts'
import { ClickJournal } from '../../src/redirect/click-journal.ts'
import { CLICK_COLUMNS } from '../../src/redirect/click-encoder.ts'
import { startTestServer } from '../helpers/app.ts'
import { createTestDb } from '../helpers/databases.ts'
import { seedLinks } from '../helpers/links.ts'
import { rollupMismatches, stats } from './helpers.ts'

const { store, url } = await createTestDb()
const fx = await seedLinks(store, 3, 'st')
const { rt, base } = await startTestServer(store, url, { TRUSTED_PROXIES: '127.0.0.1/32' })

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1'
const WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'
const BOT = 'Googlebot/2.1 (+http://www.google.com/bot.html)'

const go = (slug: string, ip: string, ua: string, init: RequestInit & { referer?: string } = {}) =>
  fetch(`${base}/l/${slug}`, {
    redirect: 'manual',
    ...init,
    headers: {
      'x-forwarded-for': ip,
      'user-agent': ua,
      ...(init.referer ? { referer: init.referer } : {}),
      ...init.headers,
    },
  })

async function drained() {
  while (rt.redirect.buffer.size > 0) await rt.redirect.flusher.flushNow()
  await rt.redirect.flusher.flushNow()
}

const linkId = async (slug: string) =>
  (await store.query<{ id: string }>('select id from tracking_links where slug = $1', [slug]))[0]?.id ?? ''

describe('click rollups through real redirects and the flusher', () => {
  test('equal the raw clicks: counts, human, unique = first human click per visitor, link and UTC day', async () => {
    // st0: visitor A three times (one HEAD), B once, a bot once: 5 clicks, 3 human, 2 unique.
    const answers = await Promise.all([
      go('st0', '203.0.113.1', IPHONE, { referer: 'https://www.instagram.com/p/1' }),
      go('st0', '203.0.113.1', IPHONE, { referer: 'https://www.instagram.com/p/2' }),
      go('st0', '203.0.113.1', IPHONE, { method: 'HEAD' }),
      go('st0', '203.0.113.2', WINDOWS, { referer: 'https://t.co/abc' }),
      go('st0', '203.0.113.3', BOT),
      go('st1', '203.0.113.1', WINDOWS),
      go('st1', '203.0.113.4', WINDOWS, { headers: { 'sec-purpose': 'prefetch' } }),
    ])
    expect(answers.every((r) => r.status === 302)).toBe(true)
    await drained()
    expect(await rollupMismatches(store)).toEqual({
      hourlyCounts: 0,
      uniquePerDay: 0,
      programHourly: 0,
      programDaily: 0,
      linkDaily: 0,
      influencerDaily: 0,
      campaignDaily: 0,
    })
    const st0 = await stats(rt.app, `/summary?linkId=${await linkId('st0')}`)
    expect(st0.status).toBe(200)
    expect([st0.body.clicks, st0.body.humanClicks, st0.body.uniqueClicks]).toEqual([5, 3, 2])
    const st1 = await stats(rt.app, `/summary?linkId=${await linkId('st1')}`)
    expect([st1.body.clicks, st1.body.humanClicks, st1.body.uniqueClicks]).toEqual([2, 1, 1])
    // The program scope reads the program rollups and agrees.
    const program = await stats(rt.app, `/summary?programId=${fx.programId}`)
    expect([program.body.clicks, program.body.humanClicks, program.body.uniqueClicks]).toEqual([7, 4, 3])
  })

  test('a journal replay that skips duplicates counts only the clicks it added', async () => {
    const rows = await store.query<Record<string, unknown>>(
      `select ${CLICK_COLUMNS.join(', ')} from clicks where slug = 'st2' or slug = 'st0'`,
    )
    const id2 = await linkId('st2')
    const at = new Date()
    const fresh = [1, 2, 3].map((i) => ({
      ...rows[0],
      id: Bun.randomUUIDv7('hex', at),
      clicked_at: at,
      link_id: id2,
      slug: 'st2',
      // Two of the three come from one visitor.
      ip_hash: `replay-visitor-${Math.min(i, 2)}`,
      is_bot: false,
      is_head: false,
      is_prefetch: false,
      bot_score: 0,
    }))
    const encode = (list: Record<string, unknown>[]) =>
      encodeCopyRows(list.map((r) => CLICK_COLUMNS.map((c) => r[c])))
    const dir = `/tmp/skinstack-stats-journal-${process.pid}`
    afterAll(() => rmSync(dir, { recursive: true, force: true }))
    const journal = new ClickJournal(dir)
    journal.append(encode([...rows, ...fresh]))
    // The same file again, as after a crash between load and unlink.
    journal.append(encode(fresh))
    const replayed = await journal.replay(store)
    expect(replayed.rows).toBe(3)
    expect(Object.values(await rollupMismatches(store))).toEqual([0, 0, 0, 0, 0, 0, 0])
    const st2 = await stats(rt.app, `/summary?linkId=${id2}`)
    expect([st2.body.clicks, st2.body.humanClicks, st2.body.uniqueClicks]).toEqual([3, 3, 2])
    const st0 = await stats(rt.app, `/summary?linkId=${await linkId('st0')}`)
    expect(st0.body.clicks).toBe(5)
  })

  test('breakdowns by device, browser, OS and referrer host', async () => {
    const q = `linkId=${await linkId('st0')}`
    const device = await stats(rt.app, `/breakdown?dim=device&${q}`)
    expect(device.status).toBe(200)
    const rows = (b: typeof device) =>
      Object.fromEntries(
        b.body.data.map((r: { value: string; clicks: number; humanClicks: number }) => [
          r.value,
          [r.clicks, r.humanClicks],
        ]),
      )
    expect(rows(device)).toEqual({ mobile: [3, 2], desktop: [1, 1], bot: [1, 0] })
    expect(device.body.data[0]).toMatchObject({ value: 'mobile', share: '0.6000', uniqueClicks: 1 })
    expect(rows(await stats(rt.app, `/breakdown?dim=referrer&${q}`))).toEqual({
      'www.instagram.com': [2, 2],
      't.co': [1, 1],
      '': [2, 0],
    })
    const browser = rows(await stats(rt.app, `/breakdown?dim=browser&${q}`))
    expect(browser.Safari).toEqual([3, 2])
    expect(browser.Chrome).toEqual([1, 1])
    expect(rows(await stats(rt.app, `/breakdown?dim=os&${q}`)).iOS).toEqual([3, 2])
    // Program-wide (program rollups) the same breakdown covers every link.
    const all = rows(await stats(rt.app, `/breakdown?dim=device&programId=${fx.programId}`))
    expect(all.desktop).toEqual([3, 2])
    expect(rows(await stats(rt.app, `/breakdown?dim=device&${q}&limit=1`))).toEqual({ mobile: [3, 2] })
  })

  test('CSV export of any table, by format=csv or Accept: text/csv', async () => {
    const csv = await stats(rt.app, `/breakdown?dim=device&programId=${fx.programId}&format=csv`)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(csv.headers.get('content-disposition')).toMatch(
      /^attachment; filename="stats-breakdown-device-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/,
    )
    const lines = csv.text.trim().split('\n')
    expect(lines[0]).toBe('value,clicks,uniqueClicks,humanClicks,share')
    expect(lines).toContain('desktop,3,2,2,0.3000')
    const summary = await stats(rt.app, `/summary?programId=${fx.programId}`, undefined, 'text/csv')
    const [head, row] = summary.text.trim().split('\n')
    expect(head).toBe('from,to,clicks,uniqueClicks,humanClicks,conversions,conversionRate')
    expect(row?.split(',').slice(2)).toEqual(['10', '5', '7', '0', '0.000000'])
    const top = await stats(rt.app, `/top-links?programId=${fx.programId}&format=csv`)
    expect(top.text.split('\n')[1]).toStartWith(`${await linkId('st0')},st0,`)
    const json = await stats(rt.app, `/summary?programId=${fx.programId}&format=json`, undefined, 'text/csv')
    expect(json.body.clicks).toBe(10)
  })

  test('top links rank by clicks; top products group the links by product', async () => {
    const [product] = await store.query<{ id: string }>(
      `insert into products (merchant_id, sku, name)
       select merchant_id, 'serum', '=Vitamin C Serum' from programs where id = $1 returning id`,
      [fx.programId],
    )
    await store.query(`update tracking_links set product_id = $1 where slug in ('st0', 'st2')`, [product?.id])
    const top = await stats(rt.app, `/top-links?programId=${fx.programId}&limit=2`)
    expect(top.body.data.map((l: { slug: string; clicks: number }) => [l.slug, l.clicks])).toEqual([
      ['st0', 5],
      ['st2', 3],
    ])
    expect(top.body.data[0]).toMatchObject({ productId: product?.id, humanClicks: 3, conversions: 0 })
    // Links without clicks or sales in the range are not listed; ties go by link id.
    const byHuman = await stats(rt.app, `/top-links?programId=${fx.programId}&sort=humanClicks`)
    expect(byHuman.body.data.map((l: { humanClicks: number }) => l.humanClicks)).toEqual([3, 3, 1])
    expect(byHuman.body.data[2].slug).toBe('st1')
    const products = await stats(rt.app, `/top-products?programId=${fx.programId}`)
    expect(products.body.data).toEqual([
      expect.objectContaining({ productId: product?.id, sku: 'serum', links: 2, clicks: 8, humanClicks: 6 }),
    ])
    // A product name a spreadsheet would run as a formula is exported as text.
    const csv = await stats(rt.app, `/top-products?programId=${fx.programId}&format=csv`)
    expect(csv.text).toContain(",serum,'=Vitamin C Serum,")
  })
})

// Last: these add clicks the exact counts above do not expect.
describe('the rollup queue', () => {
  test('the running flusher folds queued clicks into the rollups by itself, about once a second', async () => {
    const queued = async () =>
      Number((await store.query<{ n: string }>('select count(*)::text as n from click_rollup_queue'))[0]?.n)
    const before = (await stats(rt.app, `/summary?linkId=${await linkId('st1')}`)).body.clicks
    expect(await queued()).toBe(0)
    expect((await go('st1', '203.0.113.9', WINDOWS)).status).toBe(302)
    // No stats read and no drain here: only the flusher's own timer can empty the queue.
    let seen = 0
    for (let i = 0; i < 100 && (seen === 0 || (await queued()) > 0); i++) {
      seen ||= Number((await store.query<{ n: string }>('select count(*)::text as n from clicks'))[0]?.n)
      await Bun.sleep(50)
    }
    expect(await queued()).toBe(0)
    const [row] = await store.query<{ n: string }>(
      `select sum(clicks)::text as n from click_rollups_link_daily where link_id = $1`,
      [await linkId('st1')],
    )
    expect(Number(row?.n)).toBe(before + 1)
  })

  test('one folder at a time: a non-waiting fold while another holds the lock does nothing', async () => {
    // A second session holds the folders' lock, as another host's fold would.
    const other = postgres(url, { max: 1, onnotice: () => {} })
    try {
      await other.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(hashtext('click_rollups_apply'))`
        const [r] = await store.query<{ ok: boolean }>('select click_rollups_apply(false) as ok')
        expect(r?.ok).toBe(false)
      })
    } finally {
      await other.end()
    }
    const [r] = await store.query<{ ok: boolean }>('select click_rollups_apply(false) as ok')
    expect(r?.ok).toBe(true)
  })
})
