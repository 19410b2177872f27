import {
  campaigns,
  influencers,
  merchants,
  networks,
  organisations,
  products,
  programMemberships,
  programs,
} from '../../src/db/schema/index.ts'
import type { Db, Store } from '../../src/db/store.ts'
import { testAdminKey, testRuntime } from '../helpers/app.ts'

/** Two merchants, programs on each network, influencers in every membership state. */
export async function seedLinkFixtures(db: Db, tag = 'a') {
  const one = async <T>(rows: T[]) => rows[0]!
  const org = await one(
    await db
      .insert(organisations)
      .values({ name: `Org ${tag}`, slug: `org-${tag}` })
      .returning(),
  )
  const merchant = (slug: string) =>
    db
      .insert(merchants)
      .values({ orgId: org.id, name: slug, slug: `${slug}-${tag}`, defaultCurrency: 'USD' })
      .returning()
      .then((r) => r[0]!)
  const glow = await merchant('glow')
  const other = await merchant('other')
  const network = (code: string, extra: { clickParam?: string; subIdParam?: string } = {}) =>
    db
      .insert(networks)
      .values({ code: `${code}${tag === 'a' ? '' : `-${tag}`}`, name: code, ...extra })
      .returning()
      .then((r) => r[0]!)
  const impact = await network('impact')
  const amazon = await network('amazon')
  const shopify = await network('shopify')
  const program = (slug: string, merchantId: string, networkId: string | null = null, active = true) =>
    db
      .insert(programs)
      .values({
        merchantId,
        networkId,
        name: slug,
        slug,
        currency: 'USD',
        commissionType: 'percent',
        commissionRate: '0.100000',
        active,
      })
      .returning()
      .then((r) => r[0]!)
  const plain = await program('plain', glow.id)
  const viaImpact = await program('impact', glow.id, impact.id)
  const viaAmazon = await program('amazon', glow.id, amazon.id)
  const viaShopify = await program('shopify', glow.id, shopify.id)
  const inactive = await program('inactive', glow.id, null, false)
  const foreign = await program('foreign', other.id)
  const influencer = (handle: string, disabled = false) =>
    db
      .insert(influencers)
      .values({
        orgId: org.id,
        handle: `${handle}-${tag}`,
        displayName: handle,
        currency: 'USD',
        disabledAt: disabled ? new Date() : null,
      })
      .returning()
      .then((r) => r[0]!)
  const ava = await influencer('ava')
  const ben = await influencer('ben')
  const cat = await influencer('cat')
  const dan = await influencer('dan', true)
  await db.insert(programMemberships).values([
    ...[plain, viaImpact, viaAmazon, viaShopify, inactive, foreign].map((p) => ({
      programId: p.id,
      influencerId: ava.id,
    })),
    { programId: plain.id, influencerId: ben.id, status: 'pending' as const },
    { programId: plain.id, influencerId: dan.id },
  ])
  const summer = await one(
    await db.insert(campaigns).values({ programId: plain.id, slug: 'summer', name: 'Summer' }).returning(),
  )
  const winter = await one(
    await db.insert(campaigns).values({ programId: foreign.id, slug: 'winter', name: 'Winter' }).returning(),
  )
  const serum = await one(
    await db.insert(products).values({ merchantId: glow.id, sku: 'serum', name: 'Serum' }).returning(),
  )
  const alien = await one(
    await db.insert(products).values({ merchantId: other.id, sku: 'alien', name: 'Alien' }).returning(),
  )
  return {
    merchants: { glow, other },
    programs: { plain, viaImpact, viaAmazon, viaShopify, inactive, foreign },
    influencers: { ava, ben, cat, dan },
    campaigns: { summer, winter },
    products: { serum, alien },
  }
}

export type Fixtures = Awaited<ReturnType<typeof seedLinkFixtures>>

export interface ApiResult<T = any> {
  status: number
  body: T
  headers: Headers
}

/** The app plus a JSON client that authenticates as the admin unless told otherwise. */
export function linksApi(store: Store, url: string, env: Record<string, string> = {}) {
  const { app } = testRuntime(store, url, env)
  const call = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts: { auth?: string | null; raw?: string } = {},
  ): Promise<ApiResult<T>> => {
    const headers: Record<string, string> = {}
    const auth = opts.auth === undefined ? `Bearer ${testAdminKey}` : opts.auth
    if (auth !== null) headers.authorization = auth
    const payload = opts.raw ?? (body === undefined ? undefined : JSON.stringify(body))
    if (payload !== undefined) headers['content-type'] = 'application/json'
    const res = await app.handle(
      new Request(`http://localhost/api/v1/links${path}`, { method, headers, body: payload }),
    )
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers }
  }
  return { app, call }
}
