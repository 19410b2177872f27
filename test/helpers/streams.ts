import { randomBytes } from 'node:crypto'
import { clicks } from '../../src/db/schema/clicks.ts'
import { signClickId } from '../../src/shared/click-id.ts'
import { one, settleFixture } from './settle.ts'

// A merchant world for random event streams: the demo program with four creators, one of whom ('dee') has
// a membership still pending (attributed, never billable), a coupon of ben's, and clicks planted as the
// flusher stores them. Every world is its own database, so two worlds fed the same stream can be compared.

/** 'dee' applied to the program but is not approved yet. */
export const HANDLES = ['ava', 'ben', 'cai', 'dee'] as const
export type Handle = (typeof HANDLES)[number]
export const COUPON = { code: 'BEN10', handle: 'ben' as Handle }
export const PENDING_MEMBER: Handle = 'dee'
export const HALF_LIFE_HOURS = 2

// Same key id, wrong secret: a click id that parses but fails its signature.
const FORGERY_SECRET = randomBytes(32)
const FORGER = (kid: string) => ({ kid, secret: FORGERY_SECRET })

export type Model = 'last_click' | 'first_click' | 'linear' | 'time_decay'

export async function ledgerWorld() {
  const fx = await settleFixture()
  const { orgId } = await one<{ orgId: string }>(
    fx.store,
    `select org_id as "orgId" from influencers where handle = 'ava'`,
  )
  const who = new Map<Handle, { influencerId: string; linkId: string; slug: string }>([
    ['ava', { influencerId: fx.influencerId, linkId: fx.linkId, slug: 'glow-serum' }],
  ])
  for (const handle of HANDLES) {
    if (who.has(handle)) continue
    const inf = await one<{ id: string }>(
      fx.store,
      `insert into influencers (org_id, handle, display_name, email, currency)
       values ($1, $2, $3, $4, 'USD') returning id`,
      [orgId, handle, handle.toUpperCase(), `${handle}@creators.example`],
    )
    await fx.store.query(
      `insert into program_memberships (program_id, influencer_id, status) values ($1, $2, $3)`,
      [fx.programId, inf.id, handle === PENDING_MEMBER ? 'pending' : 'approved'],
    )
    const slug = `${handle}-serum`
    const link = await one<{ id: string }>(
      fx.store,
      `insert into tracking_links (slug, program_id, influencer_id, asset, destination_url)
       values ($1, $2, $3, 'ig-bio', 'https://glowlabs.example/p') returning id`,
      [slug, fx.programId, inf.id],
    )
    who.set(handle, { influencerId: inf.id, linkId: link.id, slug })
  }
  const couponOwner = who.get(COUPON.handle)
  await fx.store.query(
    `insert into coupon_codes (merchant_id, program_id, influencer_id, code) values ($1, $2, $3, $4)`,
    [fx.merchantId, fx.programId, couponOwner?.influencerId, COUPON.code],
  )
  await fx.store.query(`update programs set time_decay_half_life_hours = $2 where id = $1`, [
    fx.programId,
    HALF_LIFE_HOURS,
  ])
  const key = fx.config.secrets.clickIdKeys[0]
  if (!key) throw new Error('no click key')

  /**
   * A click id the redirect would mint at `at`, signed (and forged: same key id, wrong secret), before the
   * click is stored: a delivery may carry it before the flusher has written the click. Every world shares
   * the test click keys, so one minted id is valid in all of them.
   */
  const mintClick = (at: Date) => {
    const id = Bun.randomUUIDv7('hex', at)
    return { id, token: signClickId(key, id), forged: signClickId(FORGER(key.kid), id) }
  }

  /** Stores a minted click as the flusher stores it. */
  const plantClick = async (
    handle: Handle,
    click: { id: string; at: Date },
    over: Partial<typeof clicks.$inferInsert> = {},
  ) => {
    const w = who.get(handle)
    if (!w) throw new Error(`no creator ${handle}`)
    await fx.store.db.insert(clicks).values({
      id: click.id,
      clickedAt: new Date(click.at.getTime()),
      linkId: w.linkId,
      slug: w.slug,
      programId: fx.programId,
      influencerId: w.influencerId,
      ...over,
    })
  }

  const setModel = (model: Model) =>
    fx.store.query(`update programs set attribution_model = $2 where id = $1`, [fx.programId, model])

  const handleOf = new Map([...who].map(([h, w]) => [w.influencerId, h]))
  return { ...fx, who, handleOf, mintClick, plantClick, setModel }
}

export type LedgerWorld = Awaited<ReturnType<typeof ledgerWorld>>
