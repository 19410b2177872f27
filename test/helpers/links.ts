import { sql } from 'drizzle-orm'
import type { Store } from '../../src/db/store.ts'
import { seedDemo } from '../../src/db/seed-demo.ts'

export interface Fixture {
  programId: string
  influencerId: string
  campaignId: string
}

/** The demo merchant/program/influencer, plus `count` extra links named `${prefix}0…` on the same program. */
export async function seedLinks(store: Store, count = 0, prefix = 'ld'): Promise<Fixture> {
  await seedDemo(store.db)
  const [f] = await store.query<Fixture>(
    `select l.program_id as "programId", l.influencer_id as "influencerId", l.campaign_id as "campaignId"
       from tracking_links l where l.slug = 'glow-serum'`,
  )
  if (!f) throw new Error('demo link missing')
  if (count > 0)
    await store.db
      .execute(sql`insert into tracking_links (slug, program_id, influencer_id, asset, destination_url)
      select ${prefix} || g, ${f.programId}, ${f.influencerId}, ${prefix} || g, 'https://shop.example/p/' || g || '?ref=x#top'
      from generate_series(0, ${count - 1}) g`)
  return f
}

export async function clickCount(store: Store, where = 'true'): Promise<number> {
  const [r] = await store.query<{ n: string }>(`select count(*)::text as n from clicks where ${where}`)
  return Number(r?.n)
}
