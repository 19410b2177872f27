import { createHmac, randomBytes } from 'node:crypto'
import { approveDue } from '../../src/commissions/service.ts'
import { clicks } from '../../src/db/schema/clicks.ts'
import type { Store } from '../../src/db/store.ts'
import { signClickId } from '../../src/shared/click-id.ts'
import { webhookFixture } from './webhooks.ts'

const KEY = randomBytes(32)

/**
 * The demo merchant with an S2S secret, and helpers to post our own conversion API (signed independently
 * here, Standard Webhooks) and to plant clicks as the flusher would store them.
 */
export async function settleFixture() {
  const fx = await webhookFixture([{ source: 's2s', secret: `whsec_${KEY.toString('base64')}` }])
  const [ids] = await fx.store.query<{
    programId: string
    influencerId: string
    linkId: string
    campaignId: string
  }>(
    `select program_id as "programId", influencer_id as "influencerId", id as "linkId", campaign_id as "campaignId"
       from tracking_links where slug = 'glow-serum'`,
  )
  if (!ids) throw new Error('demo link missing')
  let n = 0
  const post = async (
    body: Record<string, unknown>,
    id = `msg_${++n}_${Math.random().toString(36).slice(2)}`,
  ) => {
    const raw = JSON.stringify(body)
    const ts = Math.floor(Date.now() / 1000)
    const sig = createHmac('sha256', KEY).update(`${id}.${ts}.${raw}`).digest('base64')
    const res = await fx.app.handle(
      new Request('http://localhost/api/v1/events/conversion', {
        method: 'POST',
        body: raw,
        headers: {
          'content-type': 'application/json',
          'x-skinstack-merchant': 'glow-labs',
          'webhook-id': id,
          'webhook-timestamp': String(ts),
          'webhook-signature': `v1,${sig}`,
        },
      }),
    )
    return { status: res.status, body: (await res.json()) as { conversionIds?: string[]; error?: unknown } }
  }
  const key = fx.config.secrets.clickIdKeys[0]
  if (!key) throw new Error('no click key')
  /** A click stored as the flusher stores it; returns its signed click id. */
  const plantClick = async (
    at: Date,
    over: Partial<typeof clicks.$inferInsert> = {},
  ): Promise<{ id: string; token: string }> => {
    const id = Bun.randomUUIDv7('hex', at)
    await fx.store.db.insert(clicks).values({
      id,
      clickedAt: new Date(at.getTime()),
      linkId: ids.linkId,
      slug: 'glow-serum',
      programId: ids.programId,
      influencerId: ids.influencerId,
      campaignId: ids.campaignId,
      ...over,
    })
    return { id, token: signClickId(key, id) }
  }
  const counters = new Map<string, number>()
  /**
   * `count` $100.00 sales credited by sub-id to ava (or the member with handle `subId`): 16.00 net each at the
   * demo's 20 % and 20 % fee, as orders `${prefix}-1`, `${prefix}-2` …, approved at once (the program's hold
   * must be 0 days). Returns the order ids.
   */
  const approvedSales = async (count: number, prefix: string, subId = 'ava'): Promise<string[]> => {
    const orders: string[] = []
    for (let i = 0; i < count; i++) {
      const n = (counters.get(prefix) ?? 0) + 1
      counters.set(prefix, n)
      const order = `${prefix}-${n}`
      const r = await post({
        type: 'sale',
        order_id: order,
        occurred_at: new Date(Date.now() - 60_000).toISOString(),
        currency: 'USD',
        total: '100.00',
        sub_id: subId,
      })
      if (r.status !== 200) throw new Error(`sale ${order}: ${r.status} ${JSON.stringify(r.body)}`)
      orders.push(order)
    }
    await approveDue(fx.store.db, new Date())
    return orders
  }
  return { ...fx, ...ids, post, plantClick, approvedSales }
}

export async function one<T>(store: Store, text: string, params: unknown[] = []): Promise<T> {
  const [row] = await store.query<T>(text, params)
  if (!row) throw new Error(`no row: ${text}`)
  return row
}
