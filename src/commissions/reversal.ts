import { eq } from 'drizzle-orm'
import { type Commission, commissions, reversals } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { commissionReversed, emitEvent } from '../events/emit.ts'
import { postReversal } from './ledger.ts'
import { reversedSoFar } from './queries.ts'

/** What is still unreversed of a commission. */
export async function leftOf(tx: Db, c: Commission) {
  const done = await reversedSoFar(tx, c.id)
  return { gross: c.grossMinor - done.gross, fee: c.feeMinor - done.fee, net: c.netMinor - done.net }
}

/**
 * Stores one reversal of `c` and posts its ledger entries. Before payout, reversing everything left ends the
 * commission `reversed`; after payout the influencer's entry is a clawback and the status stays paid.
 * Returns null when this refund already reversed this commission (a replay).
 */
export async function recordReversal(
  tx: Db,
  c: Commission,
  r: {
    merchantId: string
    refundConversionId: string | null
    gross: bigint
    fee: bigint
    left: { gross: bigint; net: bigint }
    reason: string
    at: Date
  },
) {
  const net = r.gross - r.fee
  const [rev] = await tx
    .insert(reversals)
    .values({
      commissionId: c.id,
      refundConversionId: r.refundConversionId,
      grossMinor: r.gross,
      feeMinor: r.fee,
      netMinor: net,
      currency: c.currency,
      reason: r.reason,
    })
    .onConflictDoNothing()
    .returning()
  if (!rev) return null
  // In a payout (sent, or on its way): the money is gone or going, so the influencer owes it back instead.
  const afterPayout = c.status === 'paid' || c.payoutId !== null
  await postReversal(tx, {
    commissionId: c.id,
    reversalId: rev.id,
    influencerId: c.influencerId,
    merchantId: r.merchantId,
    currency: c.currency,
    at: r.at,
    netMinor: net,
    feeMinor: r.fee,
    afterPayout,
    memo: r.reason,
  })
  const full = r.gross === r.left.gross
  const [row] =
    afterPayout || !full
      ? [c]
      : await tx
          .update(commissions)
          .set({ status: 'reversed', reversedAt: r.at })
          .where(eq(commissions.id, c.id))
          .returning()
  // Every reversal is announced, partial ones too (a refund of part of an order): `full` tells them apart.
  await emitEvent(
    tx,
    commissionReversed(row ?? c, rev, { merchantId: r.merchantId, full, afterPayout, left: r.left }),
  )
  return row ?? c
}
