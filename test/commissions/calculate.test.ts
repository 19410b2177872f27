import { describe, expect, test } from 'bun:test'
import { type BaseInput, calculateCommission, commissionableBase } from '../../src/commissions/calculate.ts'
import { splitLargestRemainder } from '../../src/shared/money.ts'

const order = (over: Partial<BaseInput> = {}): BaseInput => ({
  currency: 'USD',
  mode: 'subtotal_after_discounts',
  subtotal: '100.00',
  discount: '10.00',
  tax: '8.50',
  shipping: '5.00',
  total: '113.50',
  lineItems: [],
  excludedSkus: [],
  ...over,
})
const pct = (rate: string) => ({ type: 'percent' as const, rate, source: 'program' })
const one = { num: 1n, den: 1n }
const figures = (r: ReturnType<typeof calculateCommission>) => [r.grossMinor, r.feeMinor, r.netMinor]

describe('commissionable base', () => {
  test.each([
    ['subtotal after discounts (default)', {}, 10000n],
    ['subtotal adds the discount back', { mode: 'subtotal' as const }, 11000n],
    ['total includes tax and shipping', { mode: 'total' as const }, 11350n],
    ['no subtotal: total − tax − shipping', { subtotal: null }, 10000n],
    ['no subtotal, no tax or shipping: the total', { subtotal: null, tax: null, shipping: null }, 11350n],
    ['1-cent order', { subtotal: '0.01', total: '0.01' }, 1n],
    [
      'JPY has no minor digits',
      { currency: 'JPY', subtotal: '1500', total: '1650', tax: '150', shipping: null },
      1500n,
    ],
    ['KWD has three', { currency: 'KWD', subtotal: '12.345', total: '12.345' }, 12345n],
  ] as const)('%s', (_name, over, expected) => {
    expect(commissionableBase(order(over)).baseMinor).toBe(expected)
  })

  test('excluded SKUs are removed at line level, order discounts spread pro rata', () => {
    const r = commissionableBase(
      order({
        subtotal: '90.00',
        lineItems: [
          { sku: 'SERUM', quantity: 2, unitPrice: '30.00' },
          { sku: 'GIFT-CARD', quantity: 1, unitPrice: '40.00' },
        ],
        excludedSkus: ['GIFT-CARD'],
      }),
    )
    // 60 of the 100 in lines are eligible: 60 % of the 90.00 after discounts = 54.00.
    expect(r.baseMinor).toBe(5400n)
    expect(r.steps).toMatchObject({ eligibleShare: '3/5', afterExclusions: '54.00' })
  })

  test('a line discount counts against its own line', () => {
    const r = commissionableBase(
      order({
        subtotal: '95.00',
        lineItems: [
          { sku: 'A', quantity: 1, unitPrice: '50.00', discount: '5.00' },
          { sku: 'B', quantity: 1, unitPrice: '50.00' },
        ],
        excludedSkus: ['B'],
      }),
    )
    // Eligible 45 of 95 line value: 95.00 × 45/95 = 45.00.
    expect(r.baseMinor).toBe(4500n)
  })

  test('only excluded lines: nothing is commissionable', () => {
    const r = commissionableBase(
      order({ lineItems: [{ sku: 'X', quantity: 1, unitPrice: '100.00' }], excludedSkus: ['X'] }),
    )
    expect(r.baseMinor).toBe(0n)
  })
})

describe('commission figures (rounded once, half to even)', () => {
  test.each([
    ['the seed example: $100.00 at 20 %', 10000n, '0.200000', '0.200000', [2000n, 400n, 1600n]],
    ['1-cent order at 20 %: nothing', 1n, '0.2', '0.2', [0n, 0n, 0n]],
    ['3 cents at 50 %: 1.5 → 2 (even)', 3n, '0.5', '0.2', [2n, 0n, 2n]],
    ['5 cents at 50 %: 2.5 → 2 (even)', 5n, '0.5', '0.2', [2n, 0n, 2n]],
    ['fee on 2.5 cents rounds to even: 25 × 10 % = 2.5 → 2', 250n, '0.1', '0.1', [25n, 2n, 23n]],
    ['fee 3.5 → 4', 350n, '0.1', '0.1', [35n, 4n, 31n]],
    ['no platform fee', 10000n, '0.15', '0', [1500n, 0n, 1500n]],
    ['rate 1: the whole base', 999n, '1', '0.2', [999n, 200n, 799n]],
  ] as const)('%s', (_name, base, rate, fee, expected) => {
    const r = calculateCommission({
      currency: 'USD',
      baseShareMinor: base,
      weight: one,
      rule: pct(rate),
      platformFeeRate: fee,
    })
    expect(figures(r)).toEqual([...expected])
    expect(r.grossMinor - r.feeMinor).toBe(r.netMinor)
  })

  test.each([
    ['a higher tier replaces the rate', '0.300000', [3000n, 600n, 2400n], '0.300000'],
    ['a lower tier does not', '0.100000', [2000n, 400n, 1600n], '0.200000'],
  ] as const)('%s', (_name, tierRate, expected, effective) => {
    const r = calculateCommission({
      currency: 'USD',
      baseShareMinor: 10000n,
      weight: one,
      rule: pct('0.2'),
      tier: { rate: tierRate, label: '10 earlier sales' },
      platformFeeRate: '0.2',
    })
    expect(figures(r)).toEqual([...expected])
    expect(r.rate).toBe(effective)
  })

  test('a campaign boost is added to the (tiered) rate', () => {
    const r = calculateCommission({
      currency: 'USD',
      baseShareMinor: 10000n,
      weight: one,
      rule: pct('0.2'),
      tier: { rate: '0.25', label: 't' },
      boost: { rate: '0.05', campaign: 'summer' },
      platformFeeRate: '0.2',
    })
    expect([r.rate, ...figures(r)]).toEqual(['0.300000', 3000n, 600n, 2400n])
    expect(r.steps).toMatchObject({
      tier: { rate: '0.25' },
      boost: { campaign: 'summer' },
      effectiveRate: '0.300000',
    })
  })

  test('a fixed commission pays its share, the fee still applies', () => {
    const r = calculateCommission({
      currency: 'USD',
      baseShareMinor: 0n,
      fixedShareMinor: 167n,
      weight: { num: 1n, den: 3n },
      rule: { type: 'fixed', amountMinor: 500n, source: 'rule for lead (fixed)' },
      platformFeeRate: '0.2',
    })
    expect([r.rate, ...figures(r)]).toEqual([null, 167n, 33n, 134n])
  })

  test('a 3-way split of $100.00 at 20 %: shares 33.34/33.33/33.33 and no cent created or lost', () => {
    const third = { num: 1n, den: 3n }
    const shares = splitLargestRemainder(10000n, [third, third, third])
    expect(shares).toEqual([3334n, 3333n, 3333n])
    const gross = shares.map(
      (s) =>
        calculateCommission({
          currency: 'USD',
          baseShareMinor: s,
          weight: third,
          rule: pct('0.2'),
          platformFeeRate: '0.2',
        }).grossMinor,
    )
    // 666.8 → 667, 666.6 → 667 ×2: each rounded once from its exact share.
    expect(gross).toEqual([667n, 667n, 667n])
  })

  test('every figure is explained', () => {
    const r = calculateCommission({
      currency: 'EUR',
      baseShareMinor: 4999n,
      weight: one,
      rule: pct('0.125'),
      platformFeeRate: '0.2',
    })
    expect(r.steps).toMatchObject({
      rule: 'program',
      rate: '0.125',
      effectiveRate: '0.125000',
      baseShare: '49.99',
      gross: '6.25', // 624.875 → 625
      fee: '1.25',
      net: '5.00',
      rounding: 'half-even to the minor unit, once per figure',
    })
  })
})
