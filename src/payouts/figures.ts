// A payout's money, pure and table-tested. `payable` is what the ledger says is owed (approved commissions
// net of reversals, plus the carried balance, which is negative after clawbacks).

export interface PayoutFigures {
  /** What the commissions earned before the platform's fee, less the carried balance netted. */
  readonly grossMinor: bigint
  readonly platformFeeMinor: bigint
  readonly processingFeeMinor: bigint
  /** What is sent. */
  readonly netMinor: bigint
  /** The carried balance netted here (≤ 0 after clawbacks). */
  readonly carriedMinor: bigint
}

/**
 * Null when nothing should be sent: payable below the minimum (the balance rolls over), nothing owed, or a
 * processing fee that would eat it all. Otherwise net = gross − platform fee − processing fee, exactly.
 */
export function payoutFigures(i: {
  payableMinor: bigint
  minimumMinor: bigint
  commissions: readonly { netMinor: bigint; feeMinor: bigint }[]
  processingFee: (payableMinor: bigint) => bigint
}): PayoutFigures | null {
  if (i.payableMinor <= 0n || i.payableMinor < i.minimumMinor) return null
  const earnedNet = i.commissions.reduce((a, c) => a + c.netMinor, 0n)
  const platformFee = i.commissions.reduce((a, c) => a + c.feeMinor, 0n)
  const processing = i.processingFee(i.payableMinor)
  if (i.payableMinor - processing <= 0n) return null
  return {
    grossMinor: i.payableMinor + platformFee,
    platformFeeMinor: platformFee,
    processingFeeMinor: processing,
    netMinor: i.payableMinor - processing,
    carriedMinor: i.payableMinor - earnedNet,
  }
}
