import { afterEach, expect, test } from 'bun:test'
import { startTestServer } from '../helpers/app.ts'
import { issueKey } from '../helpers/keys.ts'
import { settleFixture } from '../helpers/settle.ts'
import { FeedClient } from '../helpers/ws.ts'
import { seedLinkFixtures } from '../links/fixtures.ts'

// /ws in the IDOR suite: tenant A's real click and sale (through the redirect and the signed intake) reach A's
// sockets and never B's. A ping answered after A has its frames proves B was not sent them: the hub sends every
// socket's copy of one event in the same turn, and a socket's frames arrive in order.

const fx = await settleFixture()
const b = await seedLinkFixtures(fx.store.db, 'b')
const { rt, base } = await startTestServer(fx.store, fx.url, {}, { clickBatchMs: 50 })
const wsUrl = `${base.replace('http', 'ws')}/ws`

// Closed after each test, before the server's own afterAll stops it (stopping waits for open sockets).
const clients: FeedClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) {
    c.close()
    await c.whenClosed()
  }
})
const open = async (owner: Parameters<typeof issueKey>[1]) => {
  const { key } = await issueKey(rt.app, owner)
  const c = new FeedClient(wsUrl, { headers: { authorization: `Bearer ${key}` } })
  clients.push(c)
  await c.opened()
  await c.next((f) => f.type === 'ready')
  return c
}
/** Resolves once every frame sent to `c` before this call has arrived. */
const drained = async (c: FeedClient) => {
  const before = c.frames.length
  c.ws.send(JSON.stringify({ type: 'ping' }))
  await c.next((f) => f.type === 'pong' && c.frames.indexOf(f) >= before)
}

test("A's click and sale reach A's merchant and influencer sockets, never B's", async () => {
  const aMerchant = await open({ merchantId: fx.merchantId })
  const aInfluencer = await open({ influencerId: fx.influencerId })
  const bMerchant = await open({ merchantId: b.merchants.glow.id })
  const bInfluencer = await open({ influencerId: b.influencers.ava.id })

  expect((await fetch(`${base}/l/glow-serum`, { redirect: 'manual' })).status).toBe(302)
  const mentionsLink = (f: any) => f.type === 'clicks' && f.links.some((l: any) => l.linkId === fx.linkId)
  await aInfluencer.next(mentionsLink)
  await aMerchant.next(mentionsLink)

  const sale = await fx.post({
    type: 'sale',
    order_id: 'ws-idor-1',
    occurred_at: new Date().toISOString(),
    currency: 'USD',
    total: '100.00',
    sub_id: 'ava',
  })
  expect(sale.status).toBe(200)
  const conversionId = sale.body.conversionIds?.[0]
  const isSale = (f: any) => f.type === 'conversion.created' && f.data?.conversionId === conversionId
  await aInfluencer.next(isSale)
  await aMerchant.next(isSale)

  for (const c of [bMerchant, bInfluencer]) {
    await drained(c)
    expect(c.frames.filter((f) => f.type !== 'heartbeat' && f.type !== 'pong').map((f) => f.type)).toEqual([
      'ready',
    ])
    expect(JSON.stringify(c.frames)).not.toContain(fx.linkId)
  }
})
