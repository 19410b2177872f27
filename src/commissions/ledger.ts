import {
  type Commission,
  commissions,
  ledgerEntries,
  type NewCommission,
  type NewLedgerEntry,
} from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'

// How money movements are posted. Every row belongs to one party; amounts are signed from that party's side.
//
//   accrual of commission C (gross G = fee F + net N):
//     influencer  commission_earned  +N   key earned:C
//     merchant    commission_earned  +N   key earned:C:merchant
//     merchant    platform_fee       +F   key fee:C:merchant
//   reversal R of C (g = f + n), before C is paid:
//     influencer  commission_reversed  −n   key reversed:R
//     merchant    commission_reversed  −n   key reversed:R:merchant
//     merchant    platform_fee         −f   key fee:R:merchant
//   reversal R of C after C was paid: the influencer row is a `clawback` (key clawback:R), a negative balance
//   carried into the next payout; the merchant rows are as above.
//
// Keys derive from the source row, and inserts are ON CONFLICT DO NOTHING: a replay never posts twice.

export interface Posting {
  readonly commissionId: string
  readonly influencerId: string
  readonly merchantId: string
  readonly currency: string
  readonly at: Date
}

export async function postAccrual(
  tx: Db,
  p: Posting & { netMinor: bigint; feeMinor: bigint },
): Promise<void> {
  const base = { commissionId: p.commissionId, currency: p.currency, occurredAt: p.at }
  await insertEntries(tx, [
    {
      ...base,
      entryType: 'commission_earned',
      influencerId: p.influencerId,
      amountMinor: p.netMinor,
      idempotencyKey: `earned:${p.commissionId}`,
    },
    {
      ...base,
      entryType: 'commission_earned',
      merchantId: p.merchantId,
      amountMinor: p.netMinor,
      idempotencyKey: `earned:${p.commissionId}:merchant`,
    },
    {
      ...base,
      entryType: 'platform_fee',
      merchantId: p.merchantId,
      amountMinor: p.feeMinor,
      idempotencyKey: `fee:${p.commissionId}:merchant`,
    },
  ])
}

export async function postReversal(
  tx: Db,
  p: Posting & { reversalId: string; netMinor: bigint; feeMinor: bigint; afterPayout: boolean; memo: string },
): Promise<void> {
  const base = {
    commissionId: p.commissionId,
    reversalId: p.reversalId,
    currency: p.currency,
    occurredAt: p.at,
    memo: p.memo,
  }
  await insertEntries(tx, [
    p.afterPayout
      ? {
          ...base,
          entryType: 'clawback',
          influencerId: p.influencerId,
          amountMinor: -p.netMinor,
          idempotencyKey: `clawback:${p.reversalId}`,
        }
      : {
          ...base,
          entryType: 'commission_reversed',
          influencerId: p.influencerId,
          amountMinor: -p.netMinor,
          idempotencyKey: `reversed:${p.reversalId}`,
        },
    {
      ...base,
      entryType: 'commission_reversed',
      merchantId: p.merchantId,
      amountMinor: -p.netMinor,
      idempotencyKey: `reversed:${p.reversalId}:merchant`,
    },
    {
      ...base,
      entryType: 'platform_fee',
      merchantId: p.merchantId,
      amountMinor: -p.feeMinor,
      idempotencyKey: `fee:${p.reversalId}:merchant`,
    },
  ])
}

async function insertEntries(tx: Db, rows: NewLedgerEntry[]): Promise<void> {
  await tx.insert(ledgerEntries).values(rows).onConflictDoNothing({ target: ledgerEntries.idempotencyKey })
}

/**
 * Inserts a commission and posts its accrual in the same transaction; null when it already exists (a replay
 * or a concurrent settle of the same conversion), in which case nothing is posted again.
 */
export async function insertCommission(
  tx: Db,
  values: NewCommission,
  p: { merchantId: string; at: Date },
): Promise<Commission | null> {
  const [row] = await tx.insert(commissions).values(values).onConflictDoNothing().returning()
  if (!row) return null
  await postAccrual(tx, {
    commissionId: row.id,
    influencerId: row.influencerId,
    merchantId: p.merchantId,
    currency: row.currency,
    at: p.at,
    netMinor: row.netMinor,
    feeMinor: row.feeMinor,
  })
  return row
}
