import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { touchWeights } from '../../src/attribution/weights.ts'
import { addFractions, fractionToString } from '../../src/shared/money.ts'

const HOUR = 3_600_000
const sum = (ws: { num: bigint; den: bigint }[]) =>
  fractionToString(ws.reduce(addFractions, { num: 0n, den: 1n }))
const show = (ws: { num: bigint; den: bigint }[]) => ws.map(fractionToString)

describe('touch weights', () => {
  test.each([
    ['last click', 'last_click', [30, 20, 10], ['0', '0', '1']],
    ['first click', 'first_click', [30, 20, 10], ['1', '0', '0']],
    ['linear over three', 'linear', [30, 20, 10], ['1/3', '1/3', '1/3']],
    ['one touch, any model', 'linear', [5], ['1']],
  ] as const)('%s', (_n, model, agesH, expected) => {
    expect(
      show(
        touchWeights(
          model,
          agesH.map((h) => h * HOUR),
          null,
        ),
      ),
    ).toEqual([...expected])
  })

  test('time decay: a touch one half-life older weighs half', () => {
    const w = touchWeights('time_decay', [48 * HOUR, 24 * HOUR, 0], 24)
    // 250000 : 500000 : 1000000 millionths → 1/7, 2/7, 4/7.
    expect(show(w)).toEqual(['1/7', '2/7', '4/7'])
  })

  test('time decay without a half-life is refused', () => {
    expect(() => touchWeights('time_decay', [0], null)).toThrow(RangeError)
  })

  test('no touches, no weights', () => expect(touchWeights('linear', [], null)).toEqual([]))

  test('every model sums to exactly 1 (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('last_click', 'first_click', 'linear', 'time_decay'),
        fc.array(fc.integer({ min: 0, max: 30 * 24 * HOUR }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 24 * 30 }),
        (model, ages, halfLife) => {
          const sorted = [...ages].sort((a, b) => b - a)
          const w = touchWeights(model, sorted, halfLife)
          expect(w).toHaveLength(sorted.length)
          expect(sum(w)).toBe('1')
          for (const x of w) expect(x.num >= 0n && x.num <= x.den).toBe(true)
        },
      ),
      { seed: 20261122, numRuns: 2000 },
    )
  })
})
