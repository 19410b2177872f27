import { and, eq, ne, sql } from 'drizzle-orm'
import { commissions, ledgerEntries, type Payout, payouts } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { emitEvent, payoutPaid } from '../events/emit.ts'
import type { ProviderResult } from './providers/types.ts'

/**
 * Records what a provider said about a payout. Paid is final and recorded once (the status guard): the
 * payout's commissions become paid and a `payout` ledger entry takes what was owed off the influencer's
 * balance (the processing fee is part of it: the influencer bears it). A retryable failure leaves the payout
 * to be retried with the same idempotency key; a final one marks it failed, and its commissions wait for the
 * next payout.
 */
export async function recordResult(db: Db, p: Payout, r: ProviderResult, now = new Date()): Promise<Payout> {
  if (r.status === 'paid')
    return db.transaction(async (tx) => {
      const [done] = await tx
        .update(payouts)
        .set({ status: 'paid', providerRef: r.providerRef, paidAt: now, failureReason: null })
        .where(and(eq(payouts.id, p.id), ne(payouts.status, 'paid')))
        .returning()
      if (!done) return (await tx.select().from(payouts).where(eq(payouts.id, p.id)))[0] ?? p
      await tx
        .update(commissions)
        .set({ status: 'paid', paidAt: now })
        .where(and(eq(commissions.payoutId, p.id), eq(commissions.status, 'approved')))
      await tx
        .insert(ledgerEntries)
        .values({
          occurredAt: now,
          entryType: 'payout',
          influencerId: p.influencerId,
          payoutId: p.id,
          currency: p.currency,
          amountMinor: -(p.netMinor + p.processingFeeMinor),
          idempotencyKey: `payout:${p.id}`,
          memo: `${p.method} ${r.providerRef}`,
        })
        .onConflictDoNothing({ target: ledgerEntries.idempotencyKey })
      // Only the transaction that moved it to paid gets here, so payout.paid is announced exactly once.
      await emitEvent(tx, payoutPaid(done))
      return done
    })
  const set =
    r.status === 'processing'
      ? { status: 'processing' as const, providerRef: r.providerRef, failureReason: null }
      : r.retryable
        ? { failureReason: `retrying: ${r.reason}` }
        : { status: 'failed' as const, failureReason: r.reason, failedAt: now }
  const [row] = await db
    .update(payouts)
    .set(set)
    .where(and(eq(payouts.id, p.id), sql`${payouts.status} in ('initiated', 'processing')`))
    .returning()
  return row ?? p
}
