import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import {
  addFractions,
  applyFractions,
  decimalToFraction,
  decimalToMinor,
  divRoundHalfEven,
  type Fraction,
  fractionToString,
  minorToDecimal,
  mulFractions,
  ONE,
  reduce,
  splitLargestRemainder,
} from '../../src/shared/money.ts'

const SEED = 20260611
const RUNS = 2_000

const f = (num: bigint, den: bigint): Fraction => ({ num, den })
const abs = (x: bigint): bigint => (x < 0n ? -x : x)
const THIRD = f(1n, 3n)

/** Test titles: bun formats %o with JSON.stringify, which cannot serialise bigint, so rows get a label. */
const show = (x: unknown): string => {
  if (typeof x === 'bigint') return `${x}n`
  if (Array.isArray(x)) return `[${x.map(show).join(', ')}]`
  if (x && typeof x === 'object' && 'num' in x && 'den' in x) return `${show(x.num)}/${show(x.den)}`
  return String(x)
}
const labelled = <T extends [unknown, ...unknown[]]>(rows: T[]): [string, ...T][] =>
  rows.map((r) => [r.map(show).join(' → '), ...r])

describe('divRoundHalfEven', () => {
  test.each([
    [5n, 2n, 2n],
    [7n, 2n, 4n],
    [1n, 2n, 0n],
    [3n, 2n, 2n],
    [-5n, 2n, -2n],
    [-7n, 2n, -4n],
    [-1n, 2n, 0n],
    [-3n, 2n, -2n],
    [25n, 10n, 2n],
    [35n, 10n, 4n],
  ])('exact half %p/%p rounds to even %p', (num, den, want) => {
    expect(divRoundHalfEven(num, den)).toBe(want)
  })

  test.each([
    [0n, 7n, 0n],
    [6n, 3n, 2n],
    [-6n, 3n, -2n],
    [1n, 3n, 0n],
    [2n, 3n, 1n],
    [-1n, 3n, 0n],
    [-2n, 3n, -1n],
    [26n, 10n, 3n],
    [24n, 10n, 2n],
    [-26n, 10n, -3n],
    [-24n, 10n, -2n],
    [1851n, 10n, 185n],
    [10n ** 30n + 1n, 2n, 5n * 10n ** 29n],
  ])('non-half %p/%p rounds to nearest %p', (num, den, want) => {
    expect(divRoundHalfEven(num, den)).toBe(want)
  })

  test.each([0n, -1n, -2n])('den %p throws RangeError', (den) => {
    expect(() => divRoundHalfEven(1n, den)).toThrow(RangeError)
  })

  test('property: |num − r×den|×2 ≤ den, and ties go to the even neighbour', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        (num, den) => {
          const r = divRoundHalfEven(num, den)
          const err2 = abs(num - r * den) * 2n
          expect(err2 <= den).toBe(true)
          if (err2 === den) expect(r % 2n).toBe(0n)
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })

  test('property: exact halves (2k+1)/2 always land on the even neighbour', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (k) => {
        const r = divRoundHalfEven(2n * k + 1n, 2n)
        expect(r === k || r === k + 1n).toBe(true)
        expect(r % 2n).toBe(0n)
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  test('property: symmetric under negation', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        (num, den) => {
          expect(divRoundHalfEven(-num, den)).toBe(-divRoundHalfEven(num, den))
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })
})

describe('decimalToMinor / minorToDecimal', () => {
  test.each([
    ['19.99', 'USD', 1999n],
    ['0.125', 'USD', 12n],
    ['0.135', 'USD', 14n],
    ['0.005', 'USD', 0n],
    ['0.015', 'USD', 2n],
    ['0.025', 'USD', 2n],
    ['0.0251', 'USD', 3n],
    ['100', 'USD', 10000n],
    ['100.5', 'USD', 10050n],
    ['0', 'USD', 0n],
    ['0.00', 'USD', 0n],
    ['-19.99', 'USD', -1999n],
    ['-0.125', 'USD', -12n],
    ['-0.135', 'USD', -14n],
    ['19.99', 'usd', 1999n],
    ['19.99', 'EUR', 1999n],
    ['1500', 'JPY', 1500n],
    ['1500.5', 'JPY', 1500n],
    ['1501.5', 'JPY', 1502n],
    ['1500.51', 'JPY', 1501n],
    ['1500.00', 'JPY', 1500n],
    ['1500', 'jpy', 1500n],
    ['1.2345', 'KWD', 1234n],
    ['1.2355', 'KWD', 1236n],
    ['1.234', 'KWD', 1234n],
    ['1.2', 'KWD', 1200n],
    ['7', 'KWD', 7000n],
  ])('%p %s → %p', (value, currency, want) => {
    expect(decimalToMinor(value, currency)).toBe(want)
  })

  test.each(['', ' 1', '1e3', '1.', '.5', '+1', '1,00', 'abc'])('%p is not a decimal: TypeError', (value) => {
    expect(() => decimalToMinor(value, 'USD')).toThrow(TypeError)
  })

  test.each([
    [1999n, 'USD', '19.99'],
    [5n, 'USD', '0.05'],
    [0n, 'USD', '0.00'],
    [-1999n, 'USD', '-19.99'],
    [-5n, 'USD', '-0.05'],
    [10000n, 'USD', '100.00'],
    [1500n, 'JPY', '1500'],
    [0n, 'JPY', '0'],
    [-7n, 'JPY', '-7'],
    [1234n, 'KWD', '1.234'],
    [5n, 'KWD', '0.005'],
  ])('minorToDecimal(%p, %s) → %p', (minor, currency, want) => {
    expect(minorToDecimal(minor, currency)).toBe(want)
  })

  test.each(['USD', 'JPY', 'KWD'])('property: %s minor → decimal → minor round trip', (currency) => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (minor) => {
        expect(decimalToMinor(minorToDecimal(minor, currency), currency)).toBe(minor)
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  test.each(['19.99', '0.05', '100.00', '-3.10', '0.00'])('USD decimal round trip %p', (value) => {
    expect(minorToDecimal(decimalToMinor(value, 'USD'), 'USD')).toBe(value)
  })
})

describe('applyFractions', () => {
  test('seed example: $100.00 at 20% → 2000 gross, 20% fee 400, net 1600', () => {
    const order = decimalToMinor('100.00', 'USD')
    expect(order).toBe(10000n)
    const rate = decimalToFraction('0.200000')
    const gross = applyFractions(order, rate)
    expect(gross).toBe(2000n)
    const fee = applyFractions(gross, rate)
    expect(fee).toBe(400n)
    expect(gross - fee).toBe(1600n)
  })

  test.each(
    labelled([
      [1n, [f(1n, 2n)], 0n],
      [3n, [f(1n, 2n)], 2n],
      [5n, [f(1n, 2n)], 2n],
      [-3n, [f(1n, 2n)], -2n],
      [1n, [decimalToFraction('0.20')], 0n],
      [25n, [decimalToFraction('0.20')], 5n],
      [1234n, [decimalToFraction('0.15')], 185n],
      [1235n, [decimalToFraction('0.1')], 124n],
      [1225n, [decimalToFraction('0.1')], 122n],
      [100n, [THIRD, f(3n, 1n)], 100n],
      [100n, [THIRD, THIRD, f(9n, 1n)], 100n],
      [10000n, [], 10000n],
      [10000n, [ONE], 10000n],
      [0n, [THIRD], 0n],
    ]),
  )('amount × fractions → result: %s', (_label, amount, fs, want) => {
    expect(applyFractions(amount, ...fs)).toBe(want)
  })

  test('several fractions round once, not per step (1n × ½ × 3 = 1.5 → 2, stepwise would give 0)', () => {
    const half = f(1n, 2n)
    expect(applyFractions(1n, half, f(3n, 1n))).toBe(2n)
    expect(applyFractions(applyFractions(1n, half), f(3n, 1n))).toBe(0n)
  })

  test('property: equals one half-even rounding of the exact product', () => {
    const frac = fc.record({
      num: fc.bigInt({ min: 0n, max: 10n ** 6n }),
      den: fc.bigInt({ min: 1n, max: 10n ** 6n }),
    })
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.array(frac, { maxLength: 4 }),
        (amount, fs) => {
          const num = fs.reduce((a, x) => a * x.num, amount)
          const den = fs.reduce((a, x) => a * x.den, 1n)
          const r = applyFractions(amount, ...fs)
          expect(r).toBe(divRoundHalfEven(num, den))
          expect(abs(num - r * den) * 2n <= den).toBe(true)
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })
})

describe('splitLargestRemainder', () => {
  test.each(
    labelled([
      [100n, [THIRD, THIRD, THIRD], [34n, 33n, 33n]],
      [1n, [THIRD, THIRD, THIRD], [1n, 0n, 0n]],
      [2n, [THIRD, THIRD, THIRD], [1n, 1n, 0n]],
      [0n, [THIRD, THIRD, THIRD], [0n, 0n, 0n]],
      [101n, [THIRD, THIRD, THIRD], [34n, 34n, 33n]],
      [-100n, [THIRD, THIRD, THIRD], [-34n, -33n, -33n]],
      [-1n, [THIRD, THIRD, THIRD], [-1n, 0n, 0n]],
      [-2n, [THIRD, THIRD, THIRD], [-1n, -1n, 0n]],
      [10n, [ONE], [10n]],
      [10n, [f(1n, 2n), f(1n, 2n)], [5n, 5n]],
      [11n, [f(1n, 2n), f(1n, 2n)], [6n, 5n]],
      [10n, [f(1n, 6n), f(1n, 2n), THIRD], [2n, 5n, 3n]],
      [10n, [f(0n, 1n), ONE], [0n, 10n]],
      [1000n, [decimalToFraction('0.70'), decimalToFraction('0.3')], [700n, 300n]],
    ]),
  )('total × weights → parts: %s', (_label, total, weights, want) => {
    expect(splitLargestRemainder(total, weights)).toEqual(want)
  })

  test.each(
    labelled([
      [100n, [1n, 1n, 1n]],
      [1n, [1n, 1n, 1n]],
      [2n, [1n, 1n, 1n]],
      [997n, [3n, 5n, 7n, 11n]],
      [12345678901n, [1n, 2n, 3n, 4n, 5n, 6n]],
    ]),
  )('negative total mirrors positive (total → weight numerators): %s', (_label, total, nums) => {
    const s = nums.reduce((a, b) => a + b, 0n)
    const weights = nums.map((n) => f(n, s))
    expect(splitLargestRemainder(-total, weights)).toEqual(
      splitLargestRemainder(total, weights).map((p) => -p),
    )
  })

  test('empty weights → []', () => {
    expect(splitLargestRemainder(100n, [])).toEqual([])
    expect(splitLargestRemainder(0n, [])).toEqual([])
  })

  test.each(
    labelled([
      [[THIRD, THIRD]],
      [[THIRD, THIRD, THIRD, THIRD]],
      [[f(1n, 2n)]],
      [[f(0n, 1n)]],
      [[f(1n, 2n), f(1n, 3n)]],
      [[ONE, f(1n, 10n)]],
    ]),
  )('weights %s not summing to 1 throw RangeError', (_label, weights) => {
    expect(() => splitLargestRemainder(100n, weights)).toThrow(RangeError)
  })

  const totals = fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n })
  const weightNums = fc.array(fc.bigInt({ min: 1n, max: 1_000_000n }), { minLength: 1, maxLength: 12 })

  test('property: parts sum to total and each is within 1 of its exact share', () => {
    fc.assert(
      fc.property(totals, weightNums, (total, nums) => {
        const s = nums.reduce((a, b) => a + b, 0n)
        const parts = splitLargestRemainder(
          total,
          nums.map((n) => f(n, s)),
        )
        expect(parts).toHaveLength(nums.length)
        expect(parts.reduce((a, b) => a + b, 0n)).toBe(total)
        parts.forEach((p, i) => {
          // |p − total×n_i/s| < 1  ⇔  |p×s − total×n_i| < s
          expect(abs(p * s - total * (nums[i] as bigint)) < s).toBe(true)
        })
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })

  test('property: also holds with unreduced, mixed-denominator weights, and negation mirrors', () => {
    fc.assert(
      fc.property(totals, weightNums, fc.bigInt({ min: 1n, max: 1000n }), (total, nums, k) => {
        const s = nums.reduce((a, b) => a + b, 0n)
        // Each weight scaled by its own factor: n_i×m_i / (s×m_i), same value, different denominators.
        const weights = nums.map((n, i) => f(n * (k + BigInt(i)), s * (k + BigInt(i))))
        const parts = splitLargestRemainder(total, weights)
        expect(parts.reduce((a, b) => a + b, 0n)).toBe(total)
        parts.forEach((p, i) => {
          expect(abs(p * s - total * (nums[i] as bigint)) < s).toBe(true)
        })
        expect(splitLargestRemainder(-total, weights)).toEqual(parts.map((p) => -p))
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })
})

describe('fractions', () => {
  test.each([
    ['0.200000', 200000n, 1000000n],
    ['0.2', 2n, 10n],
    ['1', 1n, 1n],
    ['0', 0n, 1n],
    ['12.5', 125n, 10n],
    ['-0.25', -25n, 100n],
  ])('decimalToFraction(%p) → %p/%p, unreduced', (value, num, den) => {
    expect(decimalToFraction(value)).toEqual({ num, den })
  })

  test('decimalToFraction rejects non-decimals', () => {
    expect(() => decimalToFraction('20%')).toThrow(TypeError)
    expect(() => decimalToFraction('2e-1')).toThrow(TypeError)
  })

  test.each(
    labelled([
      [f(200000n, 1000000n), f(1n, 5n)],
      [f(6n, 4n), f(3n, 2n)],
      [f(0n, 5n), f(0n, 1n)],
      [f(7n, 1n), f(7n, 1n)],
      [f(-6n, 4n), f(-3n, 2n)],
      [f(1n, 3n), f(1n, 3n)],
    ]),
  )('reduce: %s', (_label, input, want) => {
    expect(reduce(input)).toEqual(want)
  })

  test.each(
    labelled([
      [[], f(1n, 1n)],
      [[THIRD], f(1n, 3n)],
      [[THIRD, f(3n, 1n)], f(1n, 1n)],
      [[f(2n, 3n), f(3n, 4n)], f(1n, 2n)],
      [[decimalToFraction('0.200000'), decimalToFraction('0.5')], f(1n, 10n)],
      [[f(0n, 7n), THIRD], f(0n, 1n)],
    ]),
  )('mulFractions: %s', (_label, fs, want) => {
    expect(mulFractions(...fs)).toEqual(want)
  })

  test.each(
    labelled([
      [THIRD, THIRD, f(2n, 3n)],
      [f(1n, 2n), THIRD, f(5n, 6n)],
      [f(1n, 2n), f(1n, 2n), f(1n, 1n)],
      [f(0n, 1n), f(2n, 4n), f(1n, 2n)],
      [decimalToFraction('0.70'), decimalToFraction('0.3'), f(1n, 1n)],
    ]),
  )('addFractions (a → b → sum): %s', (_label, a, b, want) => {
    expect(addFractions(a, b)).toEqual(want)
  })

  test.each(
    labelled([
      [f(1n, 3n), '1/3'],
      [f(2n, 6n), '1/3'],
      [f(4n, 2n), '2'],
      [f(0n, 9n), '0'],
      [f(200000n, 1000000n), '1/5'],
      [f(-3n, 6n), '-1/2'],
      [ONE, '1'],
    ]),
  )('fractionToString: %s', (_label, input, want) => {
    expect(fractionToString(input)).toBe(want)
  })

  test('property: reduce keeps the value and leaves coprime parts', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (num, den) => {
          const r = reduce(f(num, den))
          expect(r.num * den).toBe(num * r.den)
          expect(r.den > 0n).toBe(true)
          expect(reduce(r)).toEqual(r)
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })
})
