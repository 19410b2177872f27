import { beforeAll, describe, expect, test } from 'bun:test'
import { deriveJwtKey } from '../../src/auth/jwt.ts'
import { login } from '../../src/auth/sessions.ts'
import { approveDue } from '../../src/commissions/service.ts'
import { hashIp } from '../../src/shared/ip-hash.ts'
import { testAdminKey } from '../helpers/app.ts'
import { issueKey } from '../helpers/keys.ts'
import { one, settleFixture } from '../helpers/settle.ts'
import { userWithPassword } from '../auth/helpers.ts'

// Fraud rules run where commissions are made (settlement, in its transaction): a hit holds the commission with
// an open flag; the approver passes it by; a merchant or admin clears (release) or rejects (reversal 'fraud').
const fx = await settleFixture()
const { store, post, plantClick } = fx
const salt = fx.config.secrets.ipHashSalt
const PASSWORD = 'a long enough test password'
let n = 0
const sale = (over: Record<string, unknown> = {}) => ({
  type: 'sale',
  order_id: `fr-${++n}`,
  occurred_at: new Date(Date.now() - 60_000).toISOString(),
  currency: 'USD',
  total: '100.00',
  ...over,
})
const stored = async (body: Record<string, unknown>) => {
  const r = await post(body)
  expect(r.status).toBe(200)
  const id = r.body.conversionIds?.[0]
  if (!id) throw new Error('no conversion')
  return id
}

interface Held {
  id: string
  status: string
  held: boolean
  hold_reason: string | null
}
const commissionOf = (conversionId: string) =>
  one<Held>(
    store,
    `select id::text, status::text, held_at is not null as held, hold_reason from commissions
      where conversion_id = $1 and event_kind = 'sale'`,
    [conversionId],
  )
const flagsOf = (conversionId: string) =>
  store.query<{ id: string; rule: string; reason: string; details: Record<string, unknown> }>(
    `select id::text, rule, reason, details from fraud_flags where conversion_id = $1 order by rule`,
    [conversionId],
  )

const call = async (key: string, method: string, path: string, body?: unknown) => {
  const res = await fx.app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  )
  return { status: res.status, body: (await res.json()) as any }
}

/** Another influencer of the demo program (or of none) with a link of their own, for multi-account evidence. */
async function otherInfluencer(handle: string, { member = true } = {}) {
  const [inf] = await store.query<{ id: string }>(
    `insert into influencers (org_id, handle, display_name, email, currency)
       select org_id, $1, $1, $1 || '@creators.example', 'USD' from influencers where handle = 'ava'
     returning id::text`,
    [handle],
  )
  if (!inf) throw new Error('no influencer')
  if (member)
    await store.query(`insert into program_memberships (program_id, influencer_id) values ($1, $2)`, [
      fx.programId,
      inf.id,
    ])
  const [link] = await store.query<{ id: string }>(
    `insert into tracking_links (slug, program_id, influencer_id, asset, destination_url)
       values ($1, $2, $3, 'ig', 'https://glowlabs.example/') returning id::text`,
    [`${handle}-link`, fx.programId, inf.id],
  )
  return { influencerId: inf.id, linkId: link?.id ?? '' }
}

let merchantA: string
let merchantB: string
let influencerKey: string
beforeAll(async () => {
  // Hold 0 days: without a flag, the approver would approve every sale here at once.
  await store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])
  const [b] = await store.query<{ id: string }>(
    `with o as (insert into organisations (name, slug) values ('Other', 'other-org') returning id)
     insert into merchants (org_id, name, slug, default_currency) select id, 'Rival', 'rival', 'USD' from o
     returning id::text`,
  )
  merchantA = (await issueKey(fx.app, { merchantId: fx.merchantId })).key
  merchantB = (await issueKey(fx.app, { merchantId: b?.id ?? '' })).key
  influencerKey = (await issueKey(fx.app, { influencerId: fx.influencerId })).key
})

describe('settlement-time rules hold commissions', () => {
  test('a clean sale is not held and the approver approves it (the control)', async () => {
    const id = await stored(sale({ sub_id: 'ava', customer_email: 'shopper@mail.example' }))
    expect(await flagsOf(id)).toEqual([])
    await approveDue(store.db, new Date())
    expect(await commissionOf(id)).toMatchObject({ status: 'approved', held: false })
  })

  test('self-referral: the buyer is the influencer (email compared by hash) → held, flagged, never approved', async () => {
    const id = await stored(sale({ sub_id: 'ava', customer_email: ' AVA@creators.example' }))
    const flags = await flagsOf(id)
    expect(flags.map((f) => f.rule)).toEqual(['self_referral'])
    expect(JSON.stringify(flags)).not.toContain('@')
    expect(await commissionOf(id)).toMatchObject({
      status: 'pending',
      held: true,
      hold_reason: expect.stringContaining('self_referral'),
    })
    await approveDue(store.db, new Date(Date.now() + 365 * 86_400_000))
    expect((await commissionOf(id)).status).toBe('pending')
  })

  test('fast conversion: a sale 3 s after its click is held with the figures', async () => {
    const clickedAt = new Date(Date.now() - 120_000)
    const click = await plantClick(clickedAt, { ipHash: hashIp(salt, '203.0.113.7') })
    const id = await stored(
      sale({ click_id: click.token, occurred_at: new Date(clickedAt.getTime() + 3_000).toISOString() }),
    )
    const [flag] = await flagsOf(id)
    expect(flag).toMatchObject({
      rule: 'fast_conversion',
      reason: 'converted 3 s after the deciding click (under 10 s)',
    })
    expect((await commissionOf(id)).held).toBe(true)
  })

  test('click flood: the deciding address hit the link 12 times in minutes → held', async () => {
    const ip = hashIp(salt, '198.51.100.9')
    const base = Date.now() - 2 * 3_600_000
    let last = { id: '', token: '' }
    for (let i = 0; i < 12; i++) last = await plantClick(new Date(base + i * 20_000), { ipHash: ip })
    const id = await stored(sale({ click_id: last.token }))
    const flags = await flagsOf(id)
    expect(flags.map((f) => f.rule)).toEqual(['click_flood'])
    expect(flags[0]?.reason).toContain('12 clicks on the link')
    expect(flags[0]?.details).toMatchObject({ ipHash: ip, clicksOnLink: 12 })
  })

  test("shared IP: the buyer's address clicked 3 other influencers' links that day → held", async () => {
    const ip = hashIp(salt, '192.0.2.44')
    const t = Date.now() - 5 * 3_600_000
    for (const h of ['mia', 'noa', 'lea']) {
      const o = await otherInfluencer(h)
      await plantClick(new Date(t), {
        ipHash: ip,
        influencerId: o.influencerId,
        linkId: o.linkId,
        slug: `${h}-link`,
      })
    }
    const two = await stored(
      sale({ click_id: (await plantClick(new Date(t + 60_000), { ipHash: ip })).token }),
    )
    expect((await flagsOf(two)).map((f) => f.rule)).toEqual(['shared_ip'])
    const [flag] = await flagsOf(two)
    expect(flag?.reason).toContain('3 other influencers within 24 h')
    // Two other influencers from another address are not enough.
    const ip2 = hashIp(salt, '192.0.2.45')
    for (const h of ['mia', 'noa'])
      await plantClick(new Date(t), {
        ipHash: ip2,
        influencerId: (
          await one<{ id: string }>(store, `select id::text from influencers where handle = $1`, [h])
        ).id,
      })
    const ok = await stored(
      sale({ click_id: (await plantClick(new Date(t + 60_000), { ipHash: ip2 })).token }),
    )
    expect(await flagsOf(ok)).toEqual([])
  })

  test("shared IP by login: the buyer's address logged in to 3 other influencers' accounts → held", async () => {
    const ip = '192.0.2.61'
    const sessions = { store, jwtKey: deriveJwtKey(fx.config.secrets.masterKey), ipHashSalt: salt }
    const loginFrom = async (handle: string, member = true) => {
      const o = await otherInfluencer(handle, { member })
      const u = await userWithPassword(fx.app, { influencerId: o.influencerId }, PASSWORD)
      await login(sessions, { email: u.email, password: PASSWORD }, { ip, userAgent: 'test' })
      return o.influencerId
    }
    const [ivy, kai] = [await loginFrom('ivy'), await loginFrom('kai')]
    // Not in any of the merchant's programs: not the merchant's to hear about, so not counted.
    const outsider = await loginFrom('oto', false)
    // The login kept the address as the salted hash clicks carry.
    const [session] = await store.query<{ ip_hash: string | null }>(
      `select s.ip_hash from sessions s join users u on u.id = s.user_id where u.influencer_id = $1`,
      [outsider],
    )
    expect(session?.ip_hash).toBe(hashIp(salt, ip))
    const buy = () => stored(sale({ sub_id: 'ava', customer_ip: ip, occurred_at: new Date().toISOString() }))
    expect(await flagsOf(await buy())).toEqual([])

    const rio = await loginFrom('rio')
    const [flag, ...more] = await flagsOf(await buy())
    expect(more).toEqual([])
    expect(flag).toMatchObject({
      rule: 'shared_ip',
      reason:
        'the address that converted was also used to log in as 3 other influencers within 24 h (threshold 3)',
      details: { ipHash: hashIp(salt, ip), byClick: 0, byLogin: 3 },
    })
    expect([...(flag?.details.otherInfluencerIds as string[])].sort()).toEqual([ivy, kai, rio].sort())
    expect(JSON.stringify(flag)).not.toContain(ip)
  })
})

describe('refund rate', () => {
  test('the refund that takes an influencer over 30 % of 10 sales holds their pending commissions', async () => {
    await otherInfluencer('zoe')
    await store.query(`update programs set hold_days = 30 where id = $1`, [fx.programId])
    const orders: string[] = []
    for (let i = 0; i < 10; i++) {
      const s = sale({ sub_id: 'zoe' })
      orders.push(s.order_id)
      await stored(s)
    }
    const refund = (order: string) =>
      stored({
        type: 'refund',
        order_id: order,
        refund_id: `r-${order}`,
        occurred_at: new Date().toISOString(),
        currency: 'USD',
        total: '100.00',
      })
    const zoeFlags = () =>
      store.query<{ n: number }>(
        `select count(*)::int as n from fraud_flags f join influencers i on i.id = f.influencer_id
          where i.handle = 'zoe' and f.rule = 'refund_rate'`,
      )
    for (const o of orders.slice(0, 3)) await refund(o ?? '')
    expect((await zoeFlags())[0]?.n).toBe(0) // 3 of 10 is the threshold, not over it
    await refund(orders[3] ?? '')
    const held = await store.query<{ status: string; held: boolean; reason: string | null }>(
      `select c.status::text, c.held_at is not null as held, c.hold_reason as reason
         from commissions c join influencers i on i.id = c.influencer_id where i.handle = 'zoe' order by c.id`,
    )
    expect(held.filter((c) => c.status === 'pending').map((c) => c.held)).toEqual(Array(6).fill(true))
    expect(held.find((c) => c.held)?.reason).toContain(
      '4 of 10 sales in the last 30 days were refunded (40 %',
    )
    // Another refund does not flag the same commissions twice.
    await refund(orders[4] ?? '')
    expect((await zoeFlags())[0]?.n).toBe(6)
    await store.query(`update programs set hold_days = 0 where id = $1`, [fx.programId])
  })
})

describe('the review API', () => {
  const auditOf = (flagId: string) =>
    store.query<{ action: string; before: any; after: any; details: any; actor_api_key_id: string | null }>(
      `select action, before, after, details, actor_api_key_id::text from audit_log
        where target_type = 'fraud_flag' and target_id = $1 order by occurred_at`,
      [flagId],
    )

  test('clearing releases the commission only when its last open flag is cleared; then it is approved', async () => {
    // A self-referral that also converted 2 s after its click: two flags on one commission.
    const clickedAt = new Date(Date.now() - 600_000)
    const click = await plantClick(clickedAt)
    const id = await stored(
      sale({
        click_id: click.token,
        customer_email: 'ava@creators.example',
        occurred_at: new Date(clickedAt.getTime() + 2_000).toISOString(),
      }),
    )
    const [fast, self] = await flagsOf(id)
    expect([fast?.rule, self?.rule]).toEqual(['fast_conversion', 'self_referral'])
    const listed = await call(
      merchantA,
      'GET',
      `/api/v1/fraud/flags?status=open&influencerId=${fx.influencerId}`,
    )
    expect(listed.status).toBe(200)
    expect(listed.body.data.map((f: { id: string }) => f.id)).toEqual(
      expect.arrayContaining([fast?.id, self?.id]),
    )

    const first = await call(merchantA, 'POST', `/api/v1/fraud/flags/${fast?.id}/clear`, {
      note: 'wallet checkout',
    })
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ status: 'cleared', resolutionNote: 'wallet checkout' })
    expect(first.body.commission).toMatchObject({
      status: 'pending',
      holdReason: expect.stringContaining('self_referral'),
    })
    await approveDue(store.db, new Date())
    expect(await commissionOf(id)).toMatchObject({ status: 'pending', held: true })

    const second = await call(testAdminKey, 'POST', `/api/v1/fraud/flags/${self?.id}/clear`, {
      note: 'family member',
    })
    expect(second.body.commission).toMatchObject({ heldAt: null, holdReason: null })
    await approveDue(store.db, new Date())
    expect(await commissionOf(id)).toMatchObject({ status: 'approved', held: false })

    const again = await call(merchantA, 'POST', `/api/v1/fraud/flags/${fast?.id}/clear`, { note: 'twice' })
    expect([again.status, again.body.error.code]).toEqual([409, 'already_resolved'])
    const [audit] = await auditOf(fast?.id ?? '')
    expect(audit).toMatchObject({
      action: 'fraud_flag.cleared',
      details: { note: 'wallet checkout', rule: 'fast_conversion' },
    })
    expect(audit?.before).toMatchObject({ status: 'open', commission: { status: 'pending' } })
    expect(audit?.after).toMatchObject({ status: 'cleared' })
    expect(audit?.actor_api_key_id).not.toBeNull()
  })

  test("rejecting reverses the commission with reason 'fraud', once, with an audit entry", async () => {
    const id = await stored(sale({ sub_id: 'ava', customer_email: 'ava@creators.example' }))
    const [flag] = await flagsOf(id)
    const r = await call(merchantA, 'POST', `/api/v1/fraud/flags/${flag?.id}/reject`, { note: 'own order' })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ status: 'rejected', commission: { status: 'reversed' } })
    const c = await commissionOf(id)
    expect(c.status).toBe('reversed')
    const rev = await one<{ reason: string; gross: string }>(
      store,
      `select reason, gross_minor::text as gross from reversals where commission_id = $1`,
      [c.id],
    )
    expect(rev).toEqual({ reason: 'fraud', gross: '2000' })
    const [audit] = await auditOf(flag?.id ?? '')
    expect(audit).toMatchObject({
      action: 'fraud_flag.rejected',
      details: { reversed: true, note: 'own order' },
    })
    expect(audit?.after).toMatchObject({ status: 'rejected', commission: { status: 'reversed' } })
    const again = await call(merchantA, 'POST', `/api/v1/fraud/flags/${flag?.id}/reject`, { note: 'again' })
    expect(again.status).toBe(409)
    expect((await store.query(`select 1 from reversals where commission_id = $1`, [c.id])).length).toBe(1)
  })

  test("merchant B neither sees nor resolves merchant A's flags (404); influencers get 403", async () => {
    const id = await stored(sale({ sub_id: 'ava', customer_email: 'ava@creators.example' }))
    const [flag] = await flagsOf(id)
    const seenByB = await call(merchantB, 'GET', '/api/v1/fraud/flags')
    expect(seenByB.status).toBe(200)
    expect(seenByB.body.data).toEqual([])
    for (const [method, path, body] of [
      ['GET', `/api/v1/fraud/flags/${flag?.id}`, undefined],
      ['POST', `/api/v1/fraud/flags/${flag?.id}/clear`, { note: 'not mine' }],
      ['POST', `/api/v1/fraud/flags/${flag?.id}/reject`, { note: 'not mine' }],
      ['POST', `/api/v1/fraud/flags/not-a-uuid/clear`, { note: 'bogus' }],
    ] as const) {
      const r = await call(merchantB, method, path, body)
      expect([path, r.status, r.body.error?.code]).toEqual([path, 404, 'fraud_flag_not_found'])
    }
    expect((await commissionOf(id)).held).toBe(true)
    expect((await call(merchantA, 'GET', `/api/v1/fraud/flags/${flag?.id}`)).body.id).toBe(flag?.id)
    expect((await call(influencerKey, 'GET', '/api/v1/fraud/flags')).status).toBe(403)
    expect(
      (await call(influencerKey, 'POST', `/api/v1/fraud/flags/${flag?.id}/clear`, { note: 'it is me' }))
        .status,
    ).toBe(403)
    expect(
      (await call(testAdminKey, 'GET', '/api/v1/fraud/flags?status=resolved')).body.data.length,
    ).toBeGreaterThan(0)
  })
})
