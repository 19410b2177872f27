import { type Fraction, reduce } from '../shared/money.ts'

export type AttributionModel = 'last_click' | 'first_click' | 'linear' | 'time_decay'

// Time decay needs 2^(−age/half-life), which is irrational: each touch's curve value is quantised to an
// integer number of millionths (at least 1, so no touch in the window is dropped) and the weights are those
// integers over their sum. The shape is approximate by 1e-6; the fractions themselves are exact and sum to 1.
const DECAY_SCALE = 1_000_000

/**
 * Each touch's share of a conversion as exact fractions summing to exactly 1. `ages` are how long before the
 * conversion each touch happened (ms, ≥ 0), oldest first.
 */
export function touchWeights(
  model: AttributionModel,
  ages: readonly number[],
  halfLifeHours: number | null,
): Fraction[] {
  const n = ages.length
  if (n === 0) return []
  switch (model) {
    case 'last_click':
      return ages.map((_, i) => ({ num: i === n - 1 ? 1n : 0n, den: 1n }))
    case 'first_click':
      return ages.map((_, i) => ({ num: i === 0 ? 1n : 0n, den: 1n }))
    case 'linear':
      return ages.map(() => reduce({ num: 1n, den: BigInt(n) }))
    case 'time_decay': {
      if (!halfLifeHours || halfLifeHours <= 0) throw new RangeError('time decay needs a positive half-life')
      const halfLifeMs = halfLifeHours * 3_600_000
      const raw = ages.map((age) =>
        BigInt(Math.max(1, Math.round(DECAY_SCALE * 2 ** (-Math.max(0, age) / halfLifeMs)))),
      )
      const sum = raw.reduce((a, b) => a + b, 0n)
      return raw.map((r) => reduce({ num: r, den: sum }))
    }
  }
}
