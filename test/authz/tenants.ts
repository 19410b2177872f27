import type { Store } from '../../src/db/store.ts'
import { testAdminKey } from '../helpers/app.ts'
import { issueKey } from '../helpers/keys.ts'
import { one, settleFixture } from '../helpers/settle.ts'
import { seedLinkFixtures } from '../links/fixtures.ts'

// Two tenants on one database. A is the demo (merchant glow-labs, influencer ava, the glow-serum link) with real
// resources made through the API and the settle pipeline: commissions, a payout, a webhook secret, an import
// mapping, an outbound endpoint with a delivery, a user and a key. B (seedLinkFixtures 'b') only owns keys.

/** The ids of A's resources that a route can be aimed at; `missing()` gives the same shape naming nothing. */
export interface Ids {
  merchantSlug: string
  merchantId: string
  influencerId: string
  programId: string
  linkId: string
  /** A pending commission (approved, then reversed, by the own-tenant calls). */
  commissionId: string
  /** A manual payout, processing (marked paid by the own-tenant calls). */
  payoutId: string
  secretKeyId: string
  endpointId: string
  deliveryId: string
  userId: string
  keyId: string
  deviceId: string
  /** An open fraud flag on a pending commission. */
  flagId: string
}

export const missing = (): Ids => ({
  merchantSlug: 'no-such-merchant',
  merchantId: crypto.randomUUID(),
  influencerId: crypto.randomUUID(),
  programId: crypto.randomUUID(),
  linkId: crypto.randomUUID(),
  commissionId: crypto.randomUUID(),
  payoutId: crypto.randomUUID(),
  secretKeyId: 'no-such-key',
  endpointId: crypto.randomUUID(),
  deliveryId: crypto.randomUUID(),
  userId: crypto.randomUUID(),
  keyId: crypto.randomUUID(),
  deviceId: crypto.randomUUID(),
  flagId: crypto.randomUUID(),
})

export interface Reply {
  status: number
  text: string
}

export interface Probe {
  method: string
  path: string
  body?: unknown
  /** A raw body with its content type (CSV imports). */
  raw?: { type: string; text: string }
  headers?: Record<string, string>
}

export async function twoTenants() {
  const fx = await settleFixture()
  const { app, store } = fx
  await store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])
  await store.query(
    `update influencers set payout_method = 'manual', payout_account = 'IBAN X' where id = $1`,
    [fx.influencerId],
  )
  const b = await seedLinkFixtures(store.db, 'b')

  const call = async (key: string | null, p: Probe): Promise<Reply> => {
    const headers: Record<string, string> = { ...p.headers }
    if (key) headers.authorization = `Bearer ${key}`
    if (p.raw) headers['content-type'] = p.raw.type
    else if (p.body !== undefined) headers['content-type'] = 'application/json'
    const body = p.raw ? p.raw.text : p.body === undefined ? undefined : JSON.stringify(p.body)
    const res = await app.handle(
      new Request(`http://localhost${p.path}`, { method: p.method, headers, body }),
    )
    return { status: res.status, text: await res.text() }
  }
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await call(testAdminKey, { method, path, body })
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${r.text}`)
    return r.text ? JSON.parse(r.text) : undefined
  }

  // Subscribed before the sales, so each sale leaves a delivery in the outbox.
  const endpoint = await admin('POST', '/api/v1/webhook-endpoints', {
    url: 'https://hooks.example/a',
    events: ['conversion.created'],
    merchantId: fx.merchantId,
  })
  await fx.approvedSales(4, 'idor-run')
  const run = await admin('POST', '/api/v1/payouts/runs', { period: 'idor-1', currency: 'USD' })
  // Enough left for the influencer's own payout request.
  await fx.approvedSales(4, 'idor-req')
  const pendingSale = async (order: string) => {
    const sale = await fx.post({
      type: 'sale',
      order_id: order,
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '100.00',
      sub_id: 'ava',
    })
    if (sale.status !== 200) throw new Error(`sale: ${JSON.stringify(sale.body)}`)
    return one<{ id: string; conversionId: string }>(
      store,
      `select id, conversion_id as "conversionId" from commissions where conversion_id = $1 and status = 'pending'`,
      [sale.body.conversionIds?.[0]],
    )
  }
  const commission = await pendingSale('idor-pending')
  const flagged = await pendingSale('idor-flagged')
  const flag = await one<{ id: string }>(
    store,
    `insert into fraud_flags (rule, influencer_id, conversion_id, commission_id, reason)
     values ('self_referral', $1, $2, $3, 'idor test') returning id`,
    [fx.influencerId, flagged.conversionId, flagged.id],
  )
  const device = await admin('POST', '/api/v1/devices/', { name: 'idor-device', merchantId: fx.merchantId })
  const delivery = await one<{ id: string }>(
    store,
    `update webhook_deliveries set status = 'failed' where id = (select id from webhook_deliveries order by id limit 1)
     returning id`,
  )
  await admin('POST', `/api/v1/merchants/glow-labs/webhook-secrets`, {
    source: 'shopify',
    secret: 'shpss_idor_0123456789abcdef0123456789',
    keyId: 'idor-k',
  })
  await admin('PUT', '/api/v1/imports/mappings/glow-labs/idor', MAPPING)
  const { orgId } = await one<{ orgId: string }>(
    store,
    `select org_id as "orgId" from merchants where id = $1`,
    [fx.merchantId],
  )
  const spare = await issueKey(app, { merchantId: fx.merchantId })

  const ids: Ids = {
    merchantSlug: 'glow-labs',
    merchantId: fx.merchantId,
    influencerId: fx.influencerId,
    programId: fx.programId,
    linkId: fx.linkId,
    commissionId: commission.id,
    payoutId: run.payouts[0].id,
    secretKeyId: 'idor-k',
    endpointId: endpoint.id,
    deliveryId: delivery.id,
    userId: spare.userId,
    keyId: spare.keyId,
    deviceId: device.id,
    flagId: flag.id,
  }
  // Each with its user, so tests can give that user more keys (with scopes).
  const keys = {
    a: {
      merchant: await issueKey(app, { merchantId: fx.merchantId }),
      influencer: await issueKey(app, { influencerId: fx.influencerId }),
      admin: await issueKey(app, { admin: true, orgId }),
    },
    b: {
      merchant: await issueKey(app, { merchantId: b.merchants.glow.id }),
      influencer: await issueKey(app, { influencerId: b.influencers.ava.id }),
    },
  }
  return { fx, store, app, b, ids, keys, call, admin, orgId }
}

export const MAPPING = {
  columns: { order_id: 'order', occurred_at: 'date', total: 'total', sub_id: 'sub' },
  defaultCurrency: 'USD',
}

/**
 * One fingerprint of every table's rows (last_used_at aside: using a key stamps it), so a probe that changed
 * anything at all shows up.
 */
export async function fingerprint(store: Store, except: readonly string[] = []): Promise<string> {
  // Stats reads fold the rollup queues (derived rows moving, nothing a caller did): folded first, so only a
  // probe's own writes can differ.
  await store.query('select click_rollups_apply(true), sales_rollups_fold(true)')
  const tables = (
    await store.query<{ name: string }>(
      `select format('%I.%I', table_schema, table_name) as name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
    )
  ).filter((t) => !except.includes(t.name))
  const parts = tables.map(
    (t) =>
      `select '${t.name}' as t, md5(coalesce(string_agg((to_jsonb(x) - 'last_used_at')::text, ',' order by (to_jsonb(x) - 'last_used_at')::text), '')) as h from ${t.name} x`,
  )
  const rows = await store.query<{ t: string; h: string }>(parts.join(' union all '))
  return rows.map((r) => `${r.t}:${r.h}`).join('\n')
}
