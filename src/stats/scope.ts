import type { Principal } from '../auth/principal.ts'
import type { Store } from '../db/store.ts'
import { notFound } from '../shared/errors.ts'

/** The ids a caller may filter by; any of them, combined with AND. */
export interface Filters {
  readonly influencerId?: string
  readonly linkId?: string
  readonly programId?: string
  readonly campaignId?: string
}

/**
 * What the rollups are read for: the caller's filters narrowed to what the caller may see. `programIds` null means
 * every program (admin); an influencer's scope always names the influencer; a merchant's always its programs.
 */
export interface Scope {
  readonly influencerId: string | null
  readonly linkId: string | null
  readonly programIds: readonly string[] | null
  readonly campaignId: string | null
}

interface Seen {
  link?: { program_id: string; influencer_id: string }
  campaignProgram?: string
  programExists?: boolean
  influencerExists?: boolean
  memberPrograms: string[]
  merchantPrograms: string[]
}

/**
 * Resolves filters against the principal: an id the caller may not see is answered exactly like an id that does not
 * exist (404), so a key never learns whether someone else's link or program exists, and never their numbers.
 */
export async function resolveScope(store: Store, p: Principal, f: Filters): Promise<Scope> {
  const me = p.kind === 'influencer' ? p.influencerId : null
  if (me && f.influencerId && f.influencerId !== me) throw notFound('influencer')
  const influencerId = me ?? f.influencerId ?? null
  const seen = await look(store, p, f, influencerId)

  const merchantPrograms = p.kind === 'merchant' ? seen.merchantPrograms : null
  const visibleProgram = (id: string) =>
    merchantPrograms ? merchantPrograms.includes(id) : me ? seen.memberPrograms.includes(id) : true

  if (f.programId && (!seen.programExists || !visibleProgram(f.programId))) throw notFound('program')
  if (f.campaignId && (!seen.campaignProgram || !visibleProgram(seen.campaignProgram)))
    throw notFound('campaign')
  if (f.linkId) {
    const l = seen.link
    const ok =
      l && (me ? l.influencer_id === me : merchantPrograms ? merchantPrograms.includes(l.program_id) : true)
    if (!ok) throw notFound('link')
  }
  if (f.influencerId && !me) {
    // A merchant sees an influencer who is (or was) in one of its programs.
    const ok = seen.influencerExists && (!merchantPrograms || seen.memberPrograms.length > 0)
    if (!ok) throw notFound('influencer')
  }
  const programIds = f.programId ? [f.programId] : merchantPrograms
  return { influencerId, linkId: f.linkId ?? null, programIds, campaignId: f.campaignId ?? null }
}

/** Everything the checks need, in one round trip. */
async function look(store: Store, p: Principal, f: Filters, influencerId: string | null): Promise<Seen> {
  const merchantId = p.kind === 'merchant' ? p.merchantId : null
  const [row] = await store.query<{
    link: Seen['link'] | null
    campaign_program: string | null
    program_exists: boolean
    influencer_exists: boolean
    member_programs: string[] | null
    merchant_programs: string[] | null
  }>(
    `select
       (select json_build_object('program_id', program_id, 'influencer_id', influencer_id)
          from tracking_links where id = $1::uuid) as link,
       (select program_id::text from campaigns where id = $2::uuid) as campaign_program,
       exists (select 1 from programs where id = $3::uuid) as program_exists,
       exists (select 1 from influencers where id = $4::uuid) as influencer_exists,
       (select array_agg(distinct program_id::text) from (
          select program_id from program_memberships where influencer_id = $4::uuid
          union all select program_id from tracking_links where influencer_id = $4::uuid) m
         where $5::uuid is null or program_id in (select id from programs where merchant_id = $5::uuid)
       ) as member_programs,
       (select array_agg(id::text) from programs where merchant_id = $5::uuid) as merchant_programs`,
    [f.linkId ?? null, f.campaignId ?? null, f.programId ?? null, influencerId, merchantId],
  )
  return {
    link: row?.link ?? undefined,
    campaignProgram: row?.campaign_program ?? undefined,
    programExists: row?.program_exists,
    influencerExists: row?.influencer_exists,
    memberPrograms: row?.member_programs ?? [],
    merchantPrograms: row?.merchant_programs ?? [],
  }
}
