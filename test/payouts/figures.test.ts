import { describe, expect, test } from 'bun:test'
import { payoutFigures } from '../../src/payouts/figures.ts'
import { DEFAULT_FEES, processingFee } from '../../src/payouts/providers/fees.ts'

const c = (net: bigint, fee: bigint) => ({ netMinor: net, feeMinor: fee })
const stripe = (a: bigint) => processingFee('stripe_connect', a, 'USD', DEFAULT_FEES)
const manual = (a: bigint) => processingFee('manual', a, 'USD', DEFAULT_FEES)

describe('payout arithmetic (exact cents)', () => {
  test.each([
    [
      'four 16.00 commissions via Stripe',
      6400n,
      5000n,
      [c(1600n, 400n), c(1600n, 400n), c(1600n, 400n), c(1600n, 400n)],
      stripe,
      {
        grossMinor: 8000n,
        platformFeeMinor: 1600n,
        processingFeeMinor: 216n,
        netMinor: 6184n,
        carriedMinor: 0n,
      },
    ],
    [
      'exactly the minimum is paid',
      5000n,
      5000n,
      [c(5000n, 1250n)],
      manual,
      {
        grossMinor: 6250n,
        platformFeeMinor: 1250n,
        processingFeeMinor: 0n,
        netMinor: 5000n,
        carriedMinor: 0n,
      },
    ],
    [
      'a clawback of 16.00 carried against 80.00 earned',
      6400n,
      5000n,
      [c(8000n, 2000n)],
      stripe,
      {
        grossMinor: 8400n,
        platformFeeMinor: 2000n,
        processingFeeMinor: 216n,
        netMinor: 6184n,
        carriedMinor: -1600n,
      },
    ],
    [
      'an influencer minimum of 10.00 pays 12.00 by hand',
      1200n,
      1000n,
      [c(1200n, 300n)],
      manual,
      {
        grossMinor: 1500n,
        platformFeeMinor: 300n,
        processingFeeMinor: 0n,
        netMinor: 1200n,
        carriedMinor: 0n,
      },
    ],
  ] as const)('%s', (_n, payable, minimum, commissions, fee, expected) => {
    const f = payoutFigures({ payableMinor: payable, minimumMinor: minimum, commissions, processingFee: fee })
    expect(f).toEqual(expected)
    if (f) expect(f.grossMinor - f.platformFeeMinor - f.processingFeeMinor).toBe(f.netMinor)
  })

  test.each([
    ['49.99 is below the $50 minimum: it rolls over', 4999n, 5000n, manual],
    ['carried clawbacks exceed what was earned', -800n, 5000n, manual],
    ['nothing owed', 0n, 0n, manual],
    ['a fee that would take everything', 30n, 0n, stripe],
  ] as const)('%s → no payout', (_n, payable, minimum, fee) => {
    expect(
      payoutFigures({ payableMinor: payable, minimumMinor: minimum, commissions: [], processingFee: fee }),
    ).toBeNull()
  })
})
