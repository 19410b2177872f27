import { eq } from 'drizzle-orm'
import {
  campaigns,
  influencers,
  merchants,
  organisations,
  programMemberships,
  programs,
  trackingLinks,
} from './schema/index.ts'
import type { Db } from './store.ts'

export const DEMO_ORG_SLUG = 'demo'

const DEMO_LINKS = [
  { slug: 'glow-serum', path: '/products/vitamin-c-serum', asset: 'ig-bio' },
  { slug: 'glow-spf', path: '/products/daily-spf-50', asset: 'yt-desc' },
  { slug: 'glow-toner', path: '/products/rose-toner', asset: 'tiktok' },
] as const

/**
 * The newcomer's demo: one merchant, one program (20 % commission, the platform's 20 % fee), one influencer
 * and a few links. Keyed on the demo organisation, so running it again changes nothing.
 */
export async function seedDemo(db: Db): Promise<{ created: boolean; slugs: string[] }> {
  const slugs = DEMO_LINKS.map((l) => l.slug)
  return db.transaction(async (tx) => {
    const existing = await tx
      .select({ id: organisations.id })
      .from(organisations)
      .where(eq(organisations.slug, DEMO_ORG_SLUG))
    if (existing.length) return { created: false, slugs }

    const [org] = await tx.insert(organisations).values({ name: 'Demo', slug: DEMO_ORG_SLUG }).returning()
    if (!org) throw new Error('demo organisation not created')
    const [merchant] = await tx
      .insert(merchants)
      .values({
        orgId: org.id,
        name: 'Glow Labs',
        slug: 'glow-labs',
        defaultCurrency: 'USD',
        websiteUrl: 'https://glowlabs.example',
      })
      .returning()
    const [influencer] = await tx
      .insert(influencers)
      .values({
        orgId: org.id,
        handle: 'ava',
        displayName: 'Ava Reyes',
        email: 'ava@creators.example',
        currency: 'USD',
      })
      .returning()
    if (!merchant || !influencer) throw new Error('demo merchant/influencer not created')
    const [program] = await tx
      .insert(programs)
      .values({
        merchantId: merchant.id,
        name: 'Glow Labs Creators',
        slug: 'creators',
        currency: 'USD',
        commissionType: 'percent',
        commissionRate: '0.200000',
      })
      .returning()
    if (!program) throw new Error('demo program not created')
    await tx.insert(programMemberships).values({ programId: program.id, influencerId: influencer.id })
    const [campaign] = await tx
      .insert(campaigns)
      .values({ programId: program.id, slug: 'summer-glow', name: 'Summer Glow' })
      .returning()
    await tx.insert(trackingLinks).values(
      DEMO_LINKS.map((l) => ({
        slug: l.slug,
        programId: program.id,
        influencerId: influencer.id,
        campaignId: campaign?.id,
        asset: l.asset,
        destinationUrl: `https://glowlabs.example${l.path}?utm_source=skinstack&utm_medium=influencer&utm_campaign=summer-glow`,
        utm: { utm_source: 'skinstack', utm_medium: 'influencer', utm_campaign: 'summer-glow' },
      })),
    )
    return { created: true, slugs }
  })
}
