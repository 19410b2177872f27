import { eq } from 'drizzle-orm'
import { type Attribution, attributions, type Commission, type Conversion } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { hasOpenFlag, pendingUnflagged, raiseFlags, refundFigures, settlementEvidence } from './queries.ts'
import {
  clickFlood,
  type FraudHit,
  fastConversion,
  hashEmail,
  refundRate,
  selfReferral,
  sharedIp,
} from './rules.ts'

type Flag = Parameters<typeof raiseFlags>[1][number]

/**
 * Runs the settlement-time rules on the commissions a conversion just earned, in the settlement's transaction:
 * each hit is an open flag on every commission the credited influencer earned from it (the sale's and any
 * bounty it triggered), and those commissions are held. Only fresh commissions come here, so re-settling the
 * same conversion (replays, recompute) raises nothing twice.
 */
export async function screenSettlement(
  tx: Db,
  conv: Conversion,
  rows: readonly Attribution[],
  earned: readonly Commission[],
): Promise<void> {
  if (earned.length === 0) return
  const flags: Flag[] = []
  for (const influencerId of new Set(earned.map((c) => c.influencerId))) {
    const a = rows.find((x) => x.influencerId === influencerId)
    const hits = await settlementHits(tx, conv, influencerId, a)
    for (const c of earned.filter((x) => x.influencerId === influencerId))
      for (const hit of hits) flags.push({ hit, influencerId, conversionId: conv.id, commissionId: c.id })
  }
  await raiseFlags(tx, flags)
}

async function settlementHits(
  tx: Db,
  conv: Conversion,
  influencerId: string,
  a: Attribution | undefined,
): Promise<FraudHit[]> {
  const clickedAt = a?.clickId ? a.clickedAt : null
  const ev = await settlementEvidence(tx, {
    influencerId,
    merchantId: conv.merchantId,
    clickId: clickedAt ? (a?.clickId ?? null) : null,
    clickedAt,
    conversionIpHash: conv.ipHash,
    occurredAt: conv.occurredAt,
  })
  const hits = [
    selfReferral({ customerEmailHash: conv.customerEmailHash, influencerEmailHash: hashEmail(ev.email) }),
    sharedIp({
      ipHash: ev.clickIpHash ?? conv.ipHash,
      otherInfluencerIds: ev.otherInfluencerIds,
      loginInfluencerIds: ev.loginInfluencerIds,
    }),
    clickedAt
      ? clickFlood({ ipHash: ev.clickIpHash, clicksOnLink: ev.clicksOnLink, botScore: ev.botScore })
      : null,
    clickedAt ? fastConversion({ clickedAt, occurredAt: conv.occurredAt }) : null,
  ]
  return hits.filter((h): h is FraudHit => h !== null)
}

/**
 * When a refund of an attributed sale arrives: each credited influencer's refund rate with this merchant. Over
 * the threshold, every pending commission of theirs in the merchant's programs never flagged for it before is
 * flagged and held (a reviewer's "cleared" stands); with none and no open flag of theirs for it, one flag on
 * the influencer alone records the finding.
 */
export async function screenRefund(tx: Db, refund: Conversion, sale: Conversion): Promise<void> {
  if (refund.isTest || sale.isTest) return
  const credited = await tx
    .select({ influencerId: attributions.influencerId, billable: attributions.billable })
    .from(attributions)
    .where(eq(attributions.conversionId, sale.id))
  const flags: Flag[] = []
  for (const a of credited) {
    if (!a.billable) continue
    const q = { influencerId: a.influencerId, merchantId: sale.merchantId }
    const hit = refundRate(await refundFigures(tx, { ...q, at: refund.occurredAt }))
    if (!hit) continue
    const pending = await pendingUnflagged(tx, { ...q, rule: hit.rule })
    for (const commissionId of pending)
      flags.push({ hit, influencerId: a.influencerId, conversionId: refund.id, commissionId })
    if (pending.length === 0 && !(await hasOpenFlag(tx, { ...q, rule: hit.rule })))
      flags.push({ hit, influencerId: a.influencerId, conversionId: refund.id, commissionId: null })
  }
  await raiseFlags(tx, flags)
}
