import { describe, expect, test } from 'bun:test'
import {
  DEFAULT_FEES,
  type FeeMethod,
  type FeeTable,
  feeCalculator,
  parseFeeSchedule,
  processingFee,
} from '../../src/payouts/providers/fees.ts'

const schedule = (spec: string) => {
  const s = parseFeeSchedule(spec)
  if (typeof s === 'string') throw new Error(s)
  return s
}
const table = (over: Partial<Record<FeeMethod, string>>): FeeTable => ({
  ...DEFAULT_FEES,
  ...Object.fromEntries(Object.entries(over).map(([m, spec]) => [m, schedule(spec)])),
})

describe('processingFee with the default table (exact minor units, one half-even rounding)', () => {
  test.each([
    // Stripe 2.9% + 0.30
    ['stripe $100.00', 'stripe_connect', 10000n, 'USD', 320n],
    ['stripe $50.00', 'stripe_connect', 5000n, 'USD', 175n],
    ['stripe $0.01', 'stripe_connect', 1n, 'USD', 30n],
    ['stripe $10.50: 30.45 + 30 rounds down', 'stripe_connect', 1050n, 'USD', 60n],
    ['stripe $5.00: 14.5 + 30 = 44.5 → 44 (even)', 'stripe_connect', 500n, 'USD', 44n],
    ['stripe $15.00: 43.5 + 30 = 73.5 → 74 (even)', 'stripe_connect', 1500n, 'USD', 74n],
    ['stripe $12,345.67', 'stripe_connect', 1234567n, 'USD', 35832n],
    ['stripe ¥10000: 290 + 0.30 yen → 290', 'stripe_connect', 10000n, 'JPY', 290n],
    ['stripe 10.000 KWD: 290 + 300 fils', 'stripe_connect', 10000n, 'KWD', 590n],
    // PayPal 2%
    ['paypal $100.00', 'paypal', 10000n, 'USD', 200n],
    ['paypal $0.25: 0.5 → 0 (even)', 'paypal', 25n, 'USD', 0n],
    ['paypal $0.75: 1.5 → 2 (even)', 'paypal', 75n, 'USD', 2n],
    ['paypal $1.25: 2.5 → 2 (even)', 'paypal', 125n, 'USD', 2n],
    ['paypal $5,000.00, no cap by default', 'paypal', 500000n, 'USD', 10000n],
    // ACH 0.50 flat, manual free
    ['ach $100.00', 'ach', 10000n, 'USD', 50n],
    ['ach $1,000,000.00', 'ach', 100000000n, 'USD', 50n],
    ['manual $100.00', 'manual', 10000n, 'USD', 0n],
    ['nothing paid, nothing charged', 'stripe_connect', 0n, 'USD', 0n],
  ] as [string, FeeMethod, bigint, string, bigint][])('%s', (_label, method, amount, currency, fee) => {
    expect(processingFee(method, amount, currency)).toBe(fee)
  })

  test('a negative amount has no fee: it is a mistake upstream', () => {
    expect(() => processingFee('paypal', -1n, 'USD')).toThrow(RangeError)
  })
})

describe('configured schedules', () => {
  const fees = table({ paypal: '2%max20.00', stripe_connect: '2.9%+0.30,JPY:3.6%+40' })

  test.each([
    ['paypal cap: $5,000.00 → $20.00', 'paypal', 500000n, 'USD', 2000n],
    ['paypal under the cap', 'paypal', 99999n, 'USD', 2000n],
    ['paypal just under', 'paypal', 99900n, 'USD', 1998n],
    ['stripe JPY override: ¥10000 → 360 + 40', 'stripe_connect', 10000n, 'JPY', 400n],
    ['stripe JPY override, lower-case code', 'stripe_connect', 10000n, 'jpy', 400n],
    ['stripe default for EUR', 'stripe_connect', 10000n, 'EUR', 320n],
    ['manual is free whatever the table', 'manual', 10000n, 'USD', 0n],
  ] as [string, FeeMethod, bigint, string, bigint][])('%s', (_label, method, amount, currency, fee) => {
    expect(processingFee(method, amount, currency, fees)).toBe(fee)
    expect(feeCalculator(fees)(method, amount, currency)).toBe(fee)
  })

  test.each([
    ['2.9%+0.30', { rate: { num: 29n, den: 1000n }, fixed: '0.30', max: null }],
    ['2 %', { rate: { num: 2n, den: 100n }, fixed: '0', max: null }],
    ['0.50', { rate: { num: 0n, den: 100n }, fixed: '0.50', max: null }],
    ['1.5%+0.25max5', { rate: { num: 15n, den: 1000n }, fixed: '0.25', max: '5' }],
    ['2% + 0.30', { rate: { num: 2n, den: 100n }, fixed: '0.30', max: null }],
  ])('"%s" is read exactly', (spec, rule) => {
    expect(schedule(spec).rule).toEqual(rule)
    expect(schedule(spec).spec).toBe(spec)
  })

  test.each([
    ['', 'could not read'],
    ['abc', 'could not read'],
    ['2.9', undefined],
    ['2.9%0.30', 'could not read'],
    ['-1%', 'could not read'],
    ['1e2%', 'could not read'],
    ['100%', 'must be below 100%'],
    ['2%,3%', 'more than one entry without a currency'],
    ['JPY:3%', 'needs one entry without a currency'],
    ['2%,JPY:3%,JPY:4%', 'names JPY twice'],
    ['2%,JPY:3%+0.5', 'more decimals than JPY'],
    ['2%,usd:3%', 'could not read'],
  ])('"%s" → %p', (spec, error) => {
    const s = parseFeeSchedule(spec)
    if (error === undefined) expect(s).toBeObject()
    else expect(String(s)).toContain(error)
  })
})
