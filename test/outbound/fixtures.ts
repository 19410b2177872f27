import { afterAll } from 'bun:test'
import { testRuntime } from '../helpers/app.ts'
import { issueKey } from '../helpers/keys.ts'
import { one, settleFixture } from '../helpers/settle.ts'

/**
 * A webhook receiver on a loopback port. It answers with the queued statuses (then `fallback`), keeps every
 * request, and checks the Standard Webhooks signature with its own implementation (WebCrypto, not the
 * node:crypto HMAC the sender uses).
 */
export function startReceiver(fallback = 200) {
  const statuses: number[] = []
  const received: { id: string; timestamp: string; signature: string; body: string; valid: boolean }[] = []
  let waiter: { n: number; resolve: () => void } | undefined
  const secrets: string[] = []
  let held: Promise<void> | undefined
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const body = await req.text()
      const id = req.headers.get('webhook-id') ?? ''
      const timestamp = req.headers.get('webhook-timestamp') ?? ''
      const signature = req.headers.get('webhook-signature') ?? ''
      const valid = await anyVerifies(secrets, id, timestamp, body, signature)
      received.push({ id, timestamp, signature, body, valid })
      if (waiter && received.length >= waiter.n) waiter.resolve()
      if (held) await held
      const status = statuses.shift() ?? fallback
      return new Response(status >= 300 ? `boom ${status}`.padEnd(800, '!') : 'ok', { status })
    },
  })
  afterAll(() => server.stop(true))
  return {
    url: `http://127.0.0.1:${server.port}/hook`,
    received,
    /** Secrets the receiver accepts (whsec_…). */
    secrets,
    reply: (...s: number[]) => statuses.push(...s),
    /** Requests wait (unanswered) until the returned function is called. */
    hold(): () => void {
      const gate = Promise.withResolvers<void>()
      held = gate.promise
      return () => {
        held = undefined
        gate.resolve()
      }
    },
    /** Resolves once `n` requests in all have arrived. */
    count(n: number, timeoutMs = 5_000): Promise<void> {
      if (received.length >= n) return Promise.resolve()
      const { promise, resolve, reject } = Promise.withResolvers<void>()
      waiter = { n, resolve }
      const t = setTimeout(() => reject(new Error(`only ${received.length}/${n} requests`)), timeoutMs)
      return promise.finally(() => clearTimeout(t))
    },
  }
}

async function anyVerifies(secrets: string[], id: string, ts: string, body: string, header: string) {
  for (const secret of secrets) {
    const key = await crypto.subtle.importKey(
      'raw',
      Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (c) => c.charCodeAt(0)),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    )
    const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${ts}.${body}`))
    const expected = btoa(String.fromCharCode(...new Uint8Array(mac)))
    if (header.split(' ').some((s) => s === `v1,${expected}`)) return true
  }
  return false
}

/** Polls a condition (a database read) until it holds; the worker runs on its own clock, so there is no event. */
export async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(v)}`)
    await Bun.sleep(10)
  }
}

/**
 * The demo merchant with ava and a second influencer, ben (member, own link), a runtime allowing http://
 * endpoints, and keys for each. `sharedSale` is a $100.00 sale both clicked towards from one device, under the
 * linear model: each gets half.
 */
export async function outboundFixture() {
  const fx = await settleFixture()
  const rt = testRuntime(fx.store, fx.url, { OUTBOUND_WEBHOOKS_ALLOW_HTTP: 'true' })
  // No hold: commissions can be approved at once.
  await fx.store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])
  const { orgId } = await one<{ orgId: string }>(fx.store, `select org_id as "orgId" from merchants limit 1`)
  const ben = await one<{ id: string }>(
    fx.store,
    `insert into influencers (org_id, handle, display_name, email, currency)
     values ($1, 'ben', 'Ben', 'ben@creators.example', 'USD') returning id`,
    [orgId],
  )
  await fx.store.query(`insert into program_memberships (program_id, influencer_id) values ($1, $2)`, [
    fx.programId,
    ben.id,
  ])
  const benLink = await one<{ id: string }>(
    fx.store,
    `insert into tracking_links (slug, program_id, influencer_id, asset, destination_url)
     values ('ben-serum', $1, $2, 'ig-bio', 'https://glowlabs.example/p') returning id`,
    [fx.programId, ben.id],
  )
  const other = await one<{ id: string }>(
    fx.store,
    `insert into merchants (org_id, name, slug, default_currency) values ($1, 'Other', 'other-shop', 'USD') returning id`,
    [orgId],
  )
  const keys = {
    merchant: (await issueKey(rt.app, { merchantId: fx.merchantId })).key,
    otherMerchant: (await issueKey(rt.app, { merchantId: other.id })).key,
    ava: (await issueKey(rt.app, { influencerId: fx.influencerId })).key,
    ben: (await issueKey(rt.app, { influencerId: ben.id })).key,
  }
  const call = async (method: string, path: string, key: string | null, body?: unknown) => {
    const headers: Record<string, string> = {}
    if (key) headers.authorization = `Bearer ${key}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await rt.app.handle(
      new Request(`http://localhost/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    )
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }
  let n = 0
  /** Clicks on ben's then ava's link from one device, then a $100.00 sale carrying ava's click id. */
  const sharedSale = async (order = `shared-${++n}`) => {
    await fx.store.query(`update programs set attribution_model = 'linear' where id = $1`, [fx.programId])
    const device = { ipHash: `dev-${order}`, userAgent: 'Mozilla/5.0 test' }
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000)
    await fx.plantClick(hoursAgo(3), {
      ...device,
      linkId: benLink.id,
      influencerId: ben.id,
      slug: 'ben-serum',
    })
    const last = await fx.plantClick(hoursAgo(1), device)
    const r = await fx.post({
      type: 'sale',
      order_id: order,
      occurred_at: new Date().toISOString(),
      currency: 'USD',
      total: '100.00',
      click_id: last.token,
    })
    if (r.status !== 200) throw new Error(`sale: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body.conversionIds?.[0] ?? ''
  }
  return { ...fx, rt, benId: ben.id, otherMerchantId: other.id, keys, call, sharedSale }
}
